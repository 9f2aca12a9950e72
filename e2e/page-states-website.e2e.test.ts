import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { findAccountByUsername } from '../packages/server/src/domain/accounts.ts';
import { recordOperatorPayment } from '../packages/server/src/domain/payments/manual.ts';
import { recordRefund } from '../packages/server/src/domain/payments/refunds.ts';
import { createSubscriber } from '../test-support/server-process.ts';
import { REPLACING, registerDevice, unseenFor } from './page-states/sweep-setup.ts';
import { WEBSITE_PERSONAS, WEBSITE_STATES, type WebsiteEnv, type WebsitePersona } from './page-states/website-states.ts';
import { LoginPage } from './pages/auth-pages.ts';
import { launchChromium } from './support/app-browser.ts';
import { newUsername, startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

/**
 * Every page state of the website, at 390 px and 1280 px: no horizontal
 * overflow and no axe-core violation of any impact. The states are listed in
 * `page-states/website-states.ts`; add new pages there. The app's states are
 * in `page-states-app.e2e.test.ts` (a file of its own, so both run side by side).
 */

const PASSWORD = 'correct horse battery';

/** A year paid by bank transfer, a part of it refunded: the payments table then shows both. */
async function payAndRefundPart(site: Site, username: string): Promise<void> {
  const { ctx } = site.domain;
  const account = await findAccountByUsername(ctx, username);
  if (account === null) throw new Error(`no account ${username}`);
  await recordOperatorPayment(ctx, { accountId: account.id, amountMinor: 18_000, reference: `sweep-bank-${account.id}`, tierName: 'Basic', period: 'yearly' });
  const payment = await ctx.store.db.selectFrom('payments').select('id').where('account_id', '=', account.id).executeTakeFirstOrThrow();
  await recordRefund(ctx, { accountId: account.id, paymentId: Number(payment.id), amountMinor: 3000, reason: 'Price error' });
}

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
