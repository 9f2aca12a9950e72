import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BILLING_PATHS, OrderResponse, PaymentsResponse, PortalResponse, orderUrl } from '@rotki-premium/protocol/billing-api';
import { AccountResponse, WEB_API_PATHS, WebSubscription } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { StripeStandIn, TEST_SECRET_KEY, TEST_WEBHOOK_SECRET } from '../../../test-support/stripe-stand-in.ts';

const HOOK_TIMEOUT_MS = 180_000;
const DAY_MS = 86_400_000;

interface Buyer {
  name: string;
  web: HttpWebSession;
  reference: string;
  sessionId: string;
}

for (const dialect of DIALECTS) {
  describe(`card payments through Stripe (${dialect})`, { timeout: 120_000 }, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let second: ServerHandle;
    let domain: ServerContext;
    let stripe: StripeStandIn;
    let scratch: string;
    let counter = 0;

    async function subscription(name: string) {
      const account = AccountResponse.parse((await buyers.get(name)?.web.request('GET', WEB_API_PATHS.account))?.json);
      return account.subscription;
    }

    async function payments(name: string) {
      return PaymentsResponse.parse((await buyers.get(name)?.web.request('GET', BILLING_PATHS.payments))?.json).payments;
    }

    /** The mails about buying (the sign-up's own confirmation mail is left out). */
    async function mailsTo(name: string): Promise<string[]> {
      const rows = await domain.ctx.store.db.selectFrom('mail_queue').select('template').where('recipient', '=', `${name}@example.com`).where('template', '!=', 'verify-email').orderBy('id').execute();
      return rows.map((r) => r.template);
    }

    const buyers = new Map<string, Buyer>();

    /** Signs up and starts a card checkout for Basic, yearly. */
    async function startCheckout(): Promise<Buyer> {
      counter += 1;
      const name = `card${dialect}${counter}x${Date.now() % 100_000}`;
      const web = new HttpWebSession(server.url);
      expect((await web.signUp(name)).status).toBe(200);
      expect((await web.confirmEmailFromOutbox(server.dataDir, `${name}@example.com`)).status).toBe(200);
      const placed = await web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'card' });
      expect(placed.status).toBe(201);
      const order = OrderResponse.parse(placed.json);
      const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(order.redirectUrl ?? '')?.[1] ?? '';
      const buyer = { name, web, reference: order.reference, sessionId };
      buyers.set(name, buyer);
      return buyer;
    }

    beforeAll(async () => {
      stripe = await StripeStandIn.start();
      storage = await createTestStorage(dialect);
      scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-stripe-'));
      const config = join(scratch, 'billing.json');
      writeFileSync(
        config,
        JSON.stringify({
          currency: 'EUR',
          seller: { name: 'Example Operator GmbH', country: 'DE' },
          vat: { rates: { DE: 19 }, defaultRate: 19 },
          gracePeriodDays: 7,
          stripe: { apiUrl: stripe.url },
          bankTransfer: { instructions: 'IBAN DE00 0000 0000 0000 0000 00' },
        }),
      );
      const env = {
        ROTKI_PREMIUM_BILLING_CONFIG: config,
        ROTKI_PREMIUM_STRIPE_SECRET_KEY: TEST_SECRET_KEY,
        ROTKI_PREMIUM_STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      };
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
      // A second instance on the same database, as behind a load balancer.
      second = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
      domain = await openServerContext({ ...server, env });
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await domain?.close();
      await second?.stop();
      await server?.stop();
      await stripe?.stop();
      await storage?.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    it('opens a Checkout Session in subscription mode for the order, at the price with VAT', async () => {
      const buyer = await startCheckout();
      const call = stripe.calls.find((c) => c.path === '/v1/checkout/sessions' && c.params.client_reference_id === buyer.reference);
      expect(call?.params).toMatchObject({
        mode: 'subscription',
        customer_email: `${buyer.name}@example.com`,
        line_items: [{ quantity: '1', price_data: { currency: 'eur', unit_amount: '21420', recurring: { interval: 'year' }, product_data: { name: 'rotki premium Basic' } } }],
        metadata: { order: buyer.reference },
        subscription_data: { metadata: { order: buyer.reference } },
        success_url: `${server.url}/checkout/orders/${buyer.reference}`,
      });
      expect(OrderResponse.parse((await buyer.web.request('GET', orderUrl(buyer.reference))).json).status).toBe('pending');
    });

    it('activates on the signed events, in order, once — replays and a second instance change nothing', async () => {
      const buyer = [...buyers.values()][0] as Buyer;
      const { events, subscription: sub } = stripe.complete(buyer.sessionId);
      const [completed, paid] = events;
      if (completed === undefined || paid === undefined || sub === null) throw new Error('no events');
      // The same delivery reaching both instances at once.
      const first = await Promise.all([stripe.deliver(server.url, completed), stripe.deliver(second.url, completed)]);
      expect(first.map((r) => r.status)).toEqual([200, 200]);
      expect((await stripe.deliver(server.url, paid)).json).toMatchObject({ received: true, status: 'ignored' });
      expect((await stripe.deliver(second.url, completed)).json).toMatchObject({ received: true, duplicate: true });

      expect(await subscription(buyer.name)).toMatchObject({ status: 'active', isActive: true, provider: 'stripe', billingPeriod: 'yearly', tier: { name: 'Basic' } });
      expect(OrderResponse.parse((await buyer.web.request('GET', orderUrl(buyer.reference))).json).status).toBe('paid');
      const list = await payments(buyer.name);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ amountMinor: 21_420, method: 'card (Stripe)', status: 'credited' });
      expect(list[0]?.invoiceNumber).toMatch(/^INV-\d{6}$/);
      expect(await mailsTo(buyer.name)).toEqual(['payment-receipt']);
      const stored = await domain.ctx.store.db.selectFrom('provider_events').select(['event_id', 'status']).where('event_id', 'in', [String(completed.id), String(paid.id)]).execute();
      expect(stored.map((e) => e.status).sort()).toEqual(['ignored', 'processed']);
    });

    it('refuses a bad or missing signature and stores nothing', async () => {
      const event = stripe.event('invoice.paid', { id: 'in_forged', object: 'invoice' });
      expect((await stripe.deliver(server.url, event, 'whsec_wrong')).status).toBe(400);
      const unsigned = await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
      expect(unsigned.status).toBe(400);
      expect(((await unsigned.json()) as { error: string }).error).toMatch(/^Invalid Stripe signature/);
      const stored = await domain.ctx.store.db.selectFrom('provider_events').select('id').where('event_id', '=', String(event.id)).execute();
      expect(stored).toEqual([]);
    });

    it('gets to the same state when the events arrive out of order, and ignores an older state', async () => {
      const buyer = await startCheckout();
      const { events, subscription: sub } = stripe.complete(buyer.sessionId);
      const [completed, paid] = events;
      if (completed === undefined || paid === undefined || sub === null) throw new Error('no events');
      sub.cancelAtPeriodEnd = true;
      sub.comment = 'Trying it for a year';
      const cancelled = stripe.updated(sub.id);
      // Before the checkout is known: "not yet", so Stripe sends it again later.
      expect((await stripe.deliver(server.url, cancelled)).status).toBe(500);
      expect((await stripe.deliver(server.url, paid)).json).toMatchObject({ status: 'processed' });
      expect((await stripe.deliver(server.url, completed)).json).toMatchObject({ status: 'ignored' });
      expect((await stripe.deliver(server.url, cancelled)).json).toMatchObject({ status: 'processed' });
      const state = await subscription(buyer.name);
      expect(state).toMatchObject({ status: 'cancelled', isActive: true, cancelReason: 'Trying it for a year' });
      expect(state?.periodEnd).toBe(new Date(sub.periodEnd * 1000).toISOString());
      // An update made before the cancellation, delivered late, changes nothing.
      sub.cancelAtPeriodEnd = false;
      const older = stripe.updated(sub.id, Number(cancelled.created) - 60);
      expect((await stripe.deliver(server.url, older)).json).toMatchObject({ status: 'ignored' });
      expect((await subscription(buyer.name))?.status).toBe('cancelled');
      expect(await payments(buyer.name)).toHaveLength(1);
    });

    it('extends the period on a renewal, credits a renewal that races a cancellation, and cancels and resumes at Stripe', async () => {
      const buyer = await startCheckout();
      const { events, subscription: sub } = stripe.complete(buyer.sessionId);
      if (sub === null) throw new Error('no subscription');
      for (const event of events) expect((await stripe.deliver(server.url, event)).status).toBe(200);

      const renewal = stripe.renew(sub.id, 'paid');
      const [delivered, cancel] = await Promise.all([
        stripe.deliver(second.url, renewal),
        buyer.web.request('POST', WEB_API_PATHS.cancelSubscription, { reason: 'Moving to another tool' }),
      ]);
      expect(delivered.status).toBe(200);
      expect(cancel.status).toBe(200);
      const state = await subscription(buyer.name);
      expect(state).toMatchObject({ status: 'cancelled', isActive: true, cancelReason: 'Moving to another tool' });
      expect(state?.periodEnd).toBe(new Date(sub.periodEnd * 1000).toISOString());
      expect((await payments(buyer.name)).map((p) => p.status)).toEqual(['credited', 'credited']);
      expect(stripe.subscriptions.get(sub.id)).toMatchObject({ cancelAtPeriodEnd: true, comment: 'Moving to another tool' });

      const resumed = await buyer.web.request('POST', BILLING_PATHS.resume);
      expect(WebSubscription.parse(resumed.json)).toMatchObject({ status: 'active', cancelReason: null });
      expect(stripe.subscriptions.get(sub.id)?.cancelAtPeriodEnd).toBe(false);
      // Stripe's own echo of the change arrives afterwards and agrees.
      expect((await stripe.deliver(server.url, stripe.updated(sub.id))).json).toMatchObject({ status: 'processed' });
      expect((await subscription(buyer.name))?.status).toBe('active');

      const portal = await buyer.web.request('POST', BILLING_PATHS.portal);
      expect(PortalResponse.parse(portal.json).url).toMatch(new RegExp(`^${stripe.url}/p/session/bps_`));
      // Renewing by hand or buying beside a card subscription would pay twice.
      const again = await buyer.web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'card' });
      expect(again.status).toBe(400);
    });

    it('moves a card subscription to a dearer plan: the rest of the period by card now, then renewals at the new price, once', async () => {
      const buyer = await startCheckout();
      const { events, subscription: sub } = stripe.complete(buyer.sessionId);
      if (sub === null) throw new Error('no subscription');
      for (const event of events) expect((await stripe.deliver(server.url, event)).status).toBe(200);
      const basicEnd = (await subscription(buyer.name))?.periodEnd;

      const placed = await buyer.web.request('POST', BILLING_PATHS.orders, { tier: 'Advanced', period: 'yearly', method: 'card' });
      expect(placed.status).toBe(201);
      const upgrade = OrderResponse.parse(placed.json);
      expect(upgrade).toMatchObject({ kind: 'upgrade', tier: 'Advanced', period: 'yearly' });
      const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(upgrade.redirectUrl ?? '')?.[1] ?? '';
      const session = stripe.sessions.get(sessionId);
      // A one-time payment on the card's customer: nearly the whole year's difference (€180), with VAT.
      expect(session).toMatchObject({ mode: 'payment', customer: sub.customer, amount: upgrade.breakdown.totalMinor });
      expect(upgrade.breakdown.totalMinor).toBeGreaterThan(21_300);
      expect(upgrade.breakdown.totalMinor).toBeLessThanOrEqual(21_420);

      // Stripe cannot be reached when the upgrade's payment arrives: the upgrade counts, and the event asks to come again.
      const [paid] = stripe.complete(sessionId).events;
      if (paid === undefined) throw new Error('no event');
      stripe.failWith = 503;
      let first: { status: number };
      try {
        first = await stripe.deliver(server.url, paid);
      } finally {
        stripe.failWith = null;
      }
      expect(first.status).toBe(500);
      expect(await subscription(buyer.name)).toMatchObject({ tier: { name: 'Advanced' }, periodEnd: basicEnd, provider: 'stripe' });
      expect(stripe.subscriptions.get(sub.id)?.amount).toBe(21_420);

      // Delivered again (to the other instance): the renewals move to Advanced at its full yearly price, without proration.
      expect((await stripe.deliver(second.url, paid)).json).toMatchObject({ status: 'processed' });
      expect(stripe.subscriptions.get(sub.id)).toMatchObject({ amount: 42_840, interval: 'year', prorationBehavior: 'none' });
      const renewalOrder = stripe.subscriptions.get(sub.id)?.metadata.order ?? '';
      expect(renewalOrder).not.toBe(buyer.reference);
      expect(OrderResponse.parse((await buyer.web.request('GET', orderUrl(renewalOrder))).json)).toMatchObject({
        kind: 'renewal',
        tier: 'Advanced',
        period: 'yearly',
        method: 'card',
        breakdown: { totalMinor: 42_840 },
      });
      const changes = (): number => stripe.calls.filter((c) => c.method === 'POST' && c.path === `/v1/subscriptions/${sub.id}`).length;
      const changesBefore = changes();
      expect((await stripe.deliver(server.url, paid)).json).toMatchObject({ duplicate: true });
      expect(changes()).toBe(changesBefore);

      // The next year is charged at the Advanced price, and the subscriber stays on Advanced.
      expect((await stripe.deliver(server.url, stripe.renew(sub.id, 'paid'))).json).toMatchObject({ status: 'processed' });
      const renewed = await subscription(buyer.name);
      expect(renewed).toMatchObject({ tier: { name: 'Advanced' }, isActive: true, status: 'active' });
      expect(renewed?.periodEnd).toBe(new Date((stripe.subscriptions.get(sub.id)?.periodEnd ?? 0) * 1000).toISOString());
      const list = await payments(buyer.name);
      expect(list.map((p) => [p.amountMinor, p.status]).sort()).toEqual(
        [
          [21_420, 'credited'],
          [upgrade.breakdown.totalMinor, 'credited'],
          [42_840, 'credited'],
        ].sort(),
      );
      expect(await mailsTo(buyer.name)).toEqual(['payment-receipt', 'payment-receipt', 'payment-receipt']);
    });

    it('takes a card subscription\'s upgrade by card only', async () => {
      const buyer = await startCheckout();
      const { events } = stripe.complete(buyer.sessionId);
      for (const event of events) expect((await stripe.deliver(server.url, event)).status).toBe(200);
      const same = await buyer.web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'card' });
      expect((same.json as { error: { message: string } }).error.message).toBe('Your card subscription renews by itself: there is nothing to pay now.');
      const byBank = await buyer.web.request('POST', BILLING_PATHS.orders, { tier: 'Advanced', period: 'yearly', method: 'bank_transfer' });
      expect(byBank.status).toBe(400);
      expect((byBank.json as { error: { message: string } }).error.message).toBe('A card subscription changes plan by card: choose Card to upgrade.');
      const lower = await buyer.web.request('POST', BILLING_PATHS.orders, { tier: 'Supporter', period: 'monthly', method: 'card' });
      expect(lower.status).toBe(409);
    });

    it('keeps premium for the grace period after a failed renewal, then ends it when Stripe gives up', async () => {
      const buyer = await startCheckout();
      const { events, subscription: sub } = stripe.complete(buyer.sessionId);
      if (sub === null) throw new Error('no subscription');
      for (const event of events) expect((await stripe.deliver(server.url, event)).status).toBe(200);
      // The renewal date has come: the paid period ends in a minute.
      const soon = Date.now() + 60_000;
      await domain.ctx.store.db.updateTable('subscriptions').set({ period_end: soon }).where('external_id', '=', sub.id).execute();

      const failed = stripe.renew(sub.id, 'failed');
      expect((await stripe.deliver(server.url, failed)).json).toMatchObject({ status: 'processed' });
      expect((await stripe.deliver(server.url, failed)).json).toMatchObject({ duplicate: true });
      const grace = await subscription(buyer.name);
      expect(grace).toMatchObject({ isActive: true, status: 'active' });
      expect(grace?.paymentFailedAt).not.toBeNull();
      const graceEnd = Date.parse(grace?.periodEnd ?? '');
      expect(graceEnd).toBeGreaterThan(Date.now() + 7 * DAY_MS - 120_000);
      expect(graceEnd).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS);

      expect((await stripe.deliver(server.url, stripe.deleted(sub.id))).json).toMatchObject({ status: 'processed' });
      expect(await subscription(buyer.name)).toMatchObject({ status: 'expired', isActive: false });
      expect(await mailsTo(buyer.name)).toEqual(['payment-receipt', 'payment-failed', 'subscription-expired']);
    });

    it('says so when the card payment page cannot be opened, and leaves no open order', async () => {
      counter += 1;
      const web = new HttpWebSession(server.url);
      const name = `down${dialect}${counter}x${Date.now() % 100_000}`;
      expect((await web.signUp(name)).status).toBe(200);
      expect((await web.confirmEmailFromOutbox(server.dataDir, `${name}@example.com`)).status).toBe(200);
      stripe.failWith = 500;
      try {
        const placed = await web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'monthly', method: 'card' });
        expect(placed.status).toBe(503);
        expect((placed.json as { error: { message: string } }).error.message).toBe(
          'The card payment page cannot be opened right now. Try again in a moment.',
        );
      } finally {
        stripe.failWith = null;
      }
      const open = await domain.ctx.store.db
        .selectFrom('orders')
        .innerJoin('accounts', 'accounts.id', 'orders.account_id')
        .select('orders.status')
        .where('accounts.username', '=', name)
        .execute();
      expect(open.map((o) => o.status)).toEqual(['cancelled']);
    });
  });
}
