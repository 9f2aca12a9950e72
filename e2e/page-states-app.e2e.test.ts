import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createSubscriber } from '../test-support/server-process.ts';
import { APP_STATES, type AppEnv } from './page-states/app-states.ts';
import { REPLACING, registerDevice, unseenFor } from './page-states/sweep-setup.ts';
import { launchChromium } from './support/app-browser.ts';
import { ensureAppUiBuilt, startAppProcess, type AppProcess } from './support/app-process.ts';
import { startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

/**
 * Every page state of the app, at 390 px and 1280 px: no horizontal overflow
 * and no axe-core violation of any impact. The states are listed in
 * `page-states/app-states.ts`; add new pages there. The website's states are
 * in `page-states-website.e2e.test.ts`.
 */

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
