/**
 * Prints the problems of each page state as it goes (a quick look while
 * fixing; the e2e sweep is the check): npx tsx e2e/page-states/probe.ts [filter]
 */
import type { Browser } from 'playwright-core';
import { call, deviceId, ENDPOINTS, registration, type Credentials } from '../../packages/server/test/support/rotki-app.ts';
import { createSubscriber } from '../../test-support/server-process.ts';
import { LoginPage } from '../pages/auth-pages.ts';
import { launchChromium } from '../support/app-browser.ts';
import { startAppProcess, type AppProcess } from '../support/app-process.ts';
import { pageProblems } from '../support/page-checks.ts';
import { newUsername, startSite, type Site } from '../support/site.ts';
import { openWidths, type Widths } from '../support/viewports.ts';
import { APP_STATES, type AppEnv } from './app-states.ts';
import { WEBSITE_PERSONAS, WEBSITE_STATES, type WebsitePersona } from './website-states.ts';

const filter = process.argv[2] ?? '';
const front = process.argv[3] ?? 'both';

async function register(site: Site, credentials: Credentials, name: string): Promise<void> {
  await call(site.server.url, credentials, ENDPOINTS.registerDevice, registration(deviceId(`${credentials.apiKey}-${name}`), name, 'Linux'));
}

const site = await startSite();
const browser: Browser = await launchChromium();
const apps: AppProcess[] = [];
const all: Widths[] = [];
try {
  if (front !== 'app') {
    const newcomer = newUsername('probenew');
    await site.server.admin(['admin', 'account', 'create', '--username', newcomer, '--email', `${newcomer}@example.com`, '--password', 'correct horse battery']);
    const subscriber = await createSubscriber(site.server, 'Basic');
    await register(site, subscriber, 'Laptop');
    await register(site, subscriber, 'Desktop');
    const logins: Record<WebsitePersona, string | null> = { visitor: null, newcomer, subscriber: subscriber.username };
    const personas = new Map<WebsitePersona, Widths>();
    for (const persona of WEBSITE_PERSONAS) {
      const widths = await openWidths(browser, { baseURL: site.server.url });
      all.push(widths);
      personas.set(persona, widths);
      const username = logins[persona];
      if (username === null) continue;
      for (const { page } of widths.all) {
        const login = new LoginPage(page);
        await login.open(site.server.url);
        await login.logIn(username, 'correct horse battery');
        await page.waitForURL(`${site.server.url}/home/subscription`);
      }
    }
    for (const state of WEBSITE_STATES) {
      if (!state.name.includes(filter)) continue;
      for (const { page, width } of personas.get(state.as)!.all) {
        try {
          await state.arrive(page, { url: site.server.url, dataDir: site.server.dataDir });
          const problems = await pageProblems(page);
          console.log(`${problems.length === 0 ? 'OK ' : 'BAD'} web ${state.name} @${width}${problems.length ? `\n${problems.join('\n')}` : ''}`);
        } catch (error) {
          console.log(`ERR web ${state.name} @${width}: ${String(error).slice(0, 400)}`);
          await page.screenshot({ path: `/tmp/probe-${state.name.replace(/\W+/g, '-')}-${width}.png` });
        }
      }
    }
  }
  if (front !== 'web') {
    const widths = await openWidths(browser);
    all.push(widths);
    const envs = new Map<number, AppEnv>();
    for (const { width } of widths.all) {
      const full = await createSubscriber(site.server, 'Basic');
      await register(site, full, 'Laptop');
      await register(site, full, 'Desktop');
      const roomy = await createSubscriber(site.server, 'Advanced');
      const supporter = await createSubscriber(site.server, 'Supporter');
      const app = await startAppProcess({ serverUrl: site.server.url, machineId: `probe-${width}-${process.pid}`, deviceName: `Probe ${width}` });
      apps.push(app);
      envs.set(width, { app, full, roomy, supporter });
    }
    for (const state of APP_STATES) {
      for (const { page, width } of widths.all) {
        try {
          await state.arrive(page, envs.get(width)!);
          if (!state.name.includes(filter)) continue;
          const problems = await pageProblems(page);
          console.log(`${problems.length === 0 ? 'OK ' : 'BAD'} app ${state.name} @${width}${problems.length ? `\n${problems.join('\n')}` : ''}`);
        } catch (error) {
          console.log(`ERR app ${state.name} @${width}: ${String(error).slice(0, 400)}`);
          await page.screenshot({ path: `/tmp/probe-app-${state.name.replace(/\W+/g, '-')}-${width}.png` });
        }
      }
    }
  }
} finally {
  for (const widths of all) await widths.close();
  await browser.close();
  for (const app of apps) await app.stop();
  await site.close();
}
