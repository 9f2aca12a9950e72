import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { call, deviceId, ENDPOINTS, registration, type Credentials } from '../packages/server/test/support/rotki-app.ts';
import { findAccountByUsername } from '../packages/server/src/domain/accounts.ts';
import { recordOperatorPayment } from '../packages/server/src/domain/payments/manual.ts';
import { recordRefund } from '../packages/server/src/domain/payments/refunds.ts';
import { createSubscriber } from '../test-support/server-process.ts';
import { APP_STATES, type AppEnv } from './page-states/app-states.ts';
import { WEBSITE_PERSONAS, WEBSITE_STATES, type WebsiteEnv, type WebsitePersona } from './page-states/website-states.ts';
import { LoginPage } from './pages/auth-pages.ts';
import { launchChromium } from './support/app-browser.ts';
import { ensureAppUiBuilt, startAppProcess, type AppProcess } from './support/app-process.ts';
import { newUsername, startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

/**
 * Every page state of both front ends (the website and the app), at 390 px
 * and 1280 px: no horizontal overflow and no axe-core violation of any
 * impact. The states are listed in `page-states/`; add new pages there.
 */

const PASSWORD = 'correct horse battery';

async function registerDevice(site: Site, credentials: Credentials, name: string, platform: string): Promise<void> {
  const result = await call(site.server.url, credentials, ENDPOINTS.registerDevice, registration(deviceId(`${credentials.apiKey}-${name}`), name, platform));
  if (result.status !== 201) throw new Error(`registering ${name} answered ${result.status}`);
}

/** A year paid by bank transfer, a part of it refunded: the payments table then shows both. */
async function payAndRefundPart(site: Site, username: string): Promise<void> {
  const { ctx } = site.domain;
  const account = await findAccountByUsername(ctx, username);
  if (account === null) throw new Error(`no account ${username}`);
  await recordOperatorPayment(ctx, { accountId: account.id, amountMinor: 18_000, reference: `sweep-bank-${account.id}`, tierName: 'Basic', period: 'yearly' });
  const payment = await ctx.store.db.selectFrom('payments').select('id').where('account_id', '=', account.id).executeTakeFirstOrThrow();
  await recordRefund(ctx, { accountId: account.id, paymentId: Number(payment.id), amountMinor: 3000, reason: 'Price error' });
}

/** A device registered above, as if unseen for `days` (stale after the default 90). */
async function unseenFor(site: Site, credentials: Credentials, name: string, days: number): Promise<void> {
  await site.domain.ctx.store.db
    .updateTable('devices')
    .set({ last_seen_at: Date.now() - days * 86_400_000 })
    .where('device_identifier', '=', deviceId(`${credentials.apiKey}-${name}`))
    .execute();
}

/** Sites that replace a stale device at the limit (issue 9), so the sweep sees the notice. */
const REPLACING = { ROTKI_PREMIUM_REPLACE_STALE_DEVICES: 'true' };

describe('every page state of the website, at 390 px and 1280 px', () => {
  let site: Site;
  let browser: Browser;
  const personas = new Map<WebsitePersona, Widths>();
  let env: WebsiteEnv;

  beforeAll(async () => {
    site = await startSite(REPLACING);
    browser = await launchChromium();
    env = { url: site.server.url, dataDir: site.server.dataDir };

    const newcomer = newUsername('sweepnew');
    await site.server.admin(['admin', 'account', 'create', '--username', newcomer, '--email', `${newcomer}@example.com`, '--password', PASSWORD]);
    const subscriber = await createSubscriber(site.server, 'Basic');
    const credentials = { apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret };
    // Old laptop, unseen for 200 days, makes room for Desktop; then Desktop goes unseen: a notice and a stale mark.
    await registerDevice(site, credentials, 'Old laptop', 'Linux');
    await registerDevice(site, credentials, 'Laptop', 'Linux');
    await unseenFor(site, credentials, 'Old laptop', 200);
    await registerDevice(site, credentials, 'Desktop', 'Windows');
    await payAndRefundPart(site, subscriber.username);
    await unseenFor(site, credentials, 'Desktop', 143);
    const logins: Record<WebsitePersona, string | null> = { visitor: null, newcomer, subscriber: subscriber.username };

    for (const persona of WEBSITE_PERSONAS) {
      const widths = await openWidths(browser, { baseURL: site.server.url });
      personas.set(persona, widths);
      const username = logins[persona];
      if (username === null) continue;
      for (const { page } of widths.all) {
        const login = new LoginPage(page);
        await login.open(site.server.url);
        await login.logIn(username, PASSWORD);
        await page.waitForURL(`${site.server.url}/home/subscription`);
      }
    }
  });

  afterAll(async () => {
    for (const widths of personas.values()) await widths.close();
    await browser?.close();
    await site?.close();
  });

  for (const state of WEBSITE_STATES) {
    it(`${state.as}: ${state.name}`, async () => {
      const widths = personas.get(state.as);
      if (widths === undefined) throw new Error(`no browser for ${state.as}`);
      await checkPageState(widths, state.name, (page) => state.arrive(page, env));
    });
  }
});

describe('every page state of the app, at 390 px and 1280 px', () => {
  let site: Site;
  let browser: Browser;
  let widths: Widths;
  const envs = new Map<number, AppEnv>();
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    ensureAppUiBuilt();
    site = await startSite(REPLACING);
    browser = await launchChromium();
    widths = await openWidths(browser);
    // Each width its own accounts: the app at one width must not see the other's backups as another device's.
    for (const { width } of widths.all) {
      const full = await createSubscriber(site.server, 'Basic');
      const fullCredentials = { apiKey: full.apiKey, apiSecret: full.apiSecret };
      await registerDevice(site, fullCredentials, 'Laptop', 'Linux');
      await registerDevice(site, fullCredentials, 'Desktop', 'Windows');
      const roomy = await createSubscriber(site.server, 'Advanced');
      // Four slots taken, two by stale devices: this app's registration replaces Old laptop, Spare PC stays stale.
      const roomyCredentials = { apiKey: roomy.apiKey, apiSecret: roomy.apiSecret };
      for (const name of ['Old laptop', 'Spare PC', 'Desk', 'Tablet']) await registerDevice(site, roomyCredentials, name, 'Linux');
      await unseenFor(site, roomyCredentials, 'Old laptop', 200);
      await unseenFor(site, roomyCredentials, 'Spare PC', 143);
      const supporter = await createSubscriber(site.server, 'Supporter');
      const app = await startAppProcess({ serverUrl: site.server.url, machineId: `sweep-${width}-${process.pid}`, deviceName: `Sweep ${width}` });
      apps.push(app);
      envs.set(width, {
        app,
        full: fullCredentials,
        roomy: { apiKey: roomy.apiKey, apiSecret: roomy.apiSecret },
        supporter: { apiKey: supporter.apiKey, apiSecret: supporter.apiSecret },
      });
    }
  });

  afterAll(async () => {
    await widths?.close();
    await browser?.close();
    for (const app of apps) await app.stop();
    await site?.close();
  });

  for (const state of APP_STATES) {
    it(state.name, async () => {
      await checkPageState(widths, state.name, (page, width) => {
        const env = envs.get(width);
        if (env === undefined) throw new Error(`no app for ${width} px`);
        return state.arrive(page, env);
      });
    });
  }
});
