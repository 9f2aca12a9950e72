import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserLimits } from '@rotki-premium/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, ENDPOINTS } from '../packages/server/test/support/rotki-app.ts';
import { EvmNode, HARDHAT_CHAIN_ID } from '../test-support/evm-node.ts';
import { HttpWebSession } from '../test-support/http-web-session.ts';
import { StripeStandIn, TEST_SECRET_KEY, TEST_WEBHOOK_SECRET } from '../test-support/stripe-stand-in.ts';
import { SignupPage } from './pages/auth-pages.ts';
import { SubscriptionPage } from './pages/subscription-page.ts';
import { launchChromium } from './support/app-browser.ts';
import { expectSoundPage } from './support/page-checks.ts';
import { newUsername, startSite, type Site } from './support/site.ts';
import { WIDTHS } from './support/viewports.ts';

/**
 * Buying a plan in the browser, at 390 px and 1280 px with axe-core on each
 * state: yearly Basic paid in crypto from a browser wallet on a local hardhat
 * node (the page turns to success after the confirmations, the credentials
 * then work for the rotki app), and by card through the Stripe stand-in and
 * a signed webhook.
 */

const PASSWORD = 'correct horse battery';
const CONFIRMATIONS = 2;
const WALLET_ACCOUNT = 4;

describe('buying a subscription on the website', () => {
  let node: EvmNode;
  let token: Address;
  let stripe: StripeStandIn;
  let site: Site;
  let browser: Browser;
  let scratch: string;

  /** A browser context at `width` whose page has an injected wallet (EIP-1193) backed by the node's unlocked test account. */
  async function walletContext(width: (typeof WIDTHS)[number]): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', viewport: width });
    await context.exposeFunction('__testWalletRequest', async (method: string, params: unknown[]) => {
      if (method === 'eth_requestAccounts') return [node.accounts[WALLET_ACCOUNT]];
      return node.request(method, params);
    });
    // Browser code as a string: the tests are compiled without DOM types.
    await context.addInitScript({
      content: `window.ethereum = { request: ({ method, params }) => window.__testWalletRequest(method, params ?? []) };`,
    });
    return { context, page: await context.newPage() };
  }

  async function signUpAndChoose(page: Page, username: string, method: 'crypto' | 'card'): Promise<void> {
    const url = site.server.url;
    const signup = new SignupPage(page);
    await signup.open(url);
    await signup.signUpAndLogIn(url, username, PASSWORD);
    // Buying waits for a confirmed address: open the link of the mail in the server's outbox.
    const confirmed = await new HttpWebSession(url).confirmEmailFromOutbox(site.server.dataDir, `${username}@example.com`);
    expect(confirmed.status).toBe(200);
    await page.goto(`${url}/pricing`);
    await page.getByTestId('period-yearly').click();
    await page.getByTestId('choose-Basic').click();
    await page.waitForURL(/\/checkout\?/);
    await page.getByTestId('checkout-plan').waitFor();
    await expectSoundPage(page, 'checkout');
    await page.getByTestId(`method-${method}`).check();
    await page.getByTestId('checkout-pay').click();
  }

  beforeAll(async () => {
    node = await EvmNode.start();
    token = await node.deployToken('tEUR', 6, 10n ** 15n);
    await node.fund(token, WALLET_ACCOUNT, 10n ** 12n);
    stripe = await StripeStandIn.start();
    scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-buying-'));
    const config = join(scratch, 'billing.json');
    writeFileSync(
      config,
      JSON.stringify({
        currency: 'EUR',
        seller: { name: 'Example Operator GmbH', country: 'DE' },
        vat: { rates: { DE: 19 }, defaultRate: 19 },
        stripe: { apiUrl: stripe.url },
        crypto: {
          pollSeconds: 0.5,
          chains: [
            {
              chainId: HARDHAT_CHAIN_ID,
              name: 'Hardhat',
              rpcUrl: node.url,
              receivingAddress: node.accounts[9],
              confirmations: CONFIRMATIONS,
              tokens: [{ symbol: 'tEUR', address: token, decimals: 6, stable: true }],
            },
          ],
        },
      }),
    );
    site = await startSite({
      ROTKI_PREMIUM_BILLING_CONFIG: config,
      ROTKI_PREMIUM_STRIPE_SECRET_KEY: TEST_SECRET_KEY,
      ROTKI_PREMIUM_STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await stripe?.stop();
    await node?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  for (const width of WIDTHS) {
    it(`pays yearly Basic in crypto from a browser wallet, then the credentials work (${width.width} px)`, async () => {
      const { context, page } = await walletContext(width);
      try {
        const username = newUsername('crypto');
        await signUpAndChoose(page, username, 'crypto');
        await page.waitForURL(/\/checkout\/orders\//);
        await page.getByTestId('crypto-payment').waitFor();
        await expectSoundPage(page, 'crypto order, nothing chosen yet');

        await page.getByTestId('crypto-option').selectOption({ label: 'tEUR on Hardhat' });
        await page.getByTestId('crypto-quote').click();
        await page.getByTestId('crypto-amount').waitFor();
        expect(await page.getByTestId('crypto-amount').textContent()).toMatch(/^214\.20\d* tEUR$/);
        expect((await page.getByTestId('crypto-address').textContent())?.toLowerCase()).toBe(node.accounts[9]?.toLowerCase());
        await expectSoundPage(page, 'crypto quote');

        await page.getByTestId('crypto-wallet').click();
        await page.getByTestId('crypto-seen').waitFor();
        expect(await page.getByTestId('crypto-seen').textContent()).toMatch(/of\s+2 confirmations/);
        await expectSoundPage(page, 'crypto payment seen');

        await node.mine(CONFIRMATIONS);
        await page.getByTestId('order-paid').waitFor({ timeout: 60_000 });
        await expectSoundPage(page, 'crypto payment received');

        await page.getByTestId('order-to-subscription').click();
        const subscription = new SubscriptionPage(page);
        await subscription.createButton.click();
        await subscription.regenerateButton.waitFor();
        await page.reload();
        const apiKey = await subscription.reveal('API Key');
        const apiSecret = await subscription.reveal('API Secret');
        const limits = await call(site.server.url, { apiKey, apiSecret }, ENDPOINTS.limits);
        expect(limits.status).toBe(200);
        expect(UserLimits.parse(limits.json).current_tier).toBe('Basic');
        await page.getByRole('link', { name: /^Download invoice / }).first().waitFor();
        await expectSoundPage(page, 'subscription after buying');
      } finally {
        await context.close();
      }
    });
  }

  it('pays by card through the Stripe stand-in and a signed webhook (390 px and 1280 px)', async () => {
    for (const width of WIDTHS) {
      const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', viewport: width });
      try {
        const page = await context.newPage();
        await signUpAndChoose(page, newUsername('card'), 'card');
        // The buyer lands on the (stand-in's) hosted payment page.
        await page.waitForURL(/\/c\/pay\/cs_test_/);
        const sessionId = /\/c\/pay\/(cs_test_\w+)/.exec(page.url())?.[1] ?? '';
        const created = stripe.calls.filter((c) => c.path === '/v1/checkout/sessions').at(-1);
        const reference = String((created?.params as { client_reference_id?: string } | undefined)?.client_reference_id ?? '');
        expect(reference).toMatch(/^RP-/);
        const { events } = stripe.complete(sessionId);
        for (const event of events) {
          const delivered = await stripe.deliver(site.server.url, event);
          expect(delivered.status, JSON.stringify(delivered.json)).toBe(200);
        }
        // Back from the hosted page to the order page.
        await page.locator('#pay').click();
        await page.waitForURL(`${site.server.url}/checkout/orders/${reference}`);
        await page.getByTestId('order-paid').waitFor({ timeout: 30_000 });
        await expectSoundPage(page, 'card payment received');
      } finally {
        await context.close();
      }
    }
  });
});
