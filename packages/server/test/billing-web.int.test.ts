import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BILLING_PATHS,
  HistoryResponse,
  OrderResponse,
  PaymentsResponse,
  QuoteResponse,
  invoiceUrl,
  orderUrl,
} from '@rotki-premium/protocol/billing-api';
import { AccountResponse, WEB_API_PATHS, WebSubscription } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { readPdf } from '../../../test-support/pdf.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';

const BILLING = {
  currency: 'EUR',
  seller: { name: 'Example Operator GmbH', address: ['Hauptstraße 1'], country: 'DE' },
  vat: { rates: { DE: 19 }, defaultRate: 19 },
  bankTransfer: { instructions: 'IBAN DE00 0000 0000 0000 0000 00, Example Operator GmbH' },
};

function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}

/** Starting a server and hashing passwords on a loaded machine can take a while. */
const HOOK_TIMEOUT_MS = 180_000;

for (const dialect of DIALECTS) {
  describe(`buying through the website API (${dialect})`, { timeout: 120_000 }, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let scratch: string;
    let buyer: HttpWebSession;
    let other: HttpWebSession;
    const name = `web${dialect}${Date.now() % 100_000}`;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-billing-'));
      writeFileSync(join(scratch, 'billing.json'), JSON.stringify(BILLING));
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_BILLING_CONFIG: join(scratch, 'billing.json') },
      });
      buyer = new HttpWebSession(server.url);
      other = new HttpWebSession(server.url);
      expect((await buyer.signUp(name)).status).toBe(200);
      expect((await buyer.confirmEmailFromOutbox(storage.dataDir, `${name}@example.com`)).status).toBe(200);
      expect((await other.signUp(`${name}o`)).status).toBe(200);
      expect((await other.confirmEmailFromOutbox(storage.dataDir, `${name}o@example.com`)).status).toBe(200);
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    it('quotes a plan with VAT and the methods on offer, and refuses what is not offered', async () => {
      const quote = await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Basic', period: 'yearly' });
      expect(quote.status).toBe(200);
      expect(QuoteResponse.parse(quote.json)).toEqual({
        kind: 'new',
        tier: 'Basic',
        period: 'yearly',
        breakdown: { currency: 'EUR', netMinor: 18_000, vatRateBp: 1900, vatMinor: 3_420, totalMinor: 21_420, reverseCharge: false },
        methods: ['bank_transfer'],
        upgradeUntil: null,
      });
      const card = await buyer.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'card' });
      expect(card.status).toBe(400);
      expect(errorOf(card.json).message).toBe('This payment method is not offered here: choose another one.');
      const weekly = await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Basic', period: 'weekly' });
      expect(weekly.status).toBe(400);
      const unknown = await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Platinum', period: 'yearly' });
      expect(unknown.status).toBe(404);
      const anonymous = await new HttpWebSession(server.url).request('POST', BILLING_PATHS.quote, { tier: 'Basic', period: 'yearly' });
      expect(anonymous.status).toBe(401);
    });

    it('takes a bank-transfer order through to an active subscription with an invoice only its owner downloads', async () => {
      const placed = await buyer.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'bank_transfer' });
      expect(placed.status).toBe(201);
      const order = OrderResponse.parse(placed.json);
      expect(order).toMatchObject({ status: 'pending', method: 'bank_transfer', bankInstructions: BILLING.bankTransfer.instructions });
      expect((await other.request('GET', orderUrl(order.reference))).status).toBe(404);

      await server.admin(['admin', 'payment', 'record', '--username', name, '--amount', '214.20', '--reference', order.reference]);
      expect(OrderResponse.parse((await buyer.request('GET', orderUrl(order.reference))).json).status).toBe('paid');
      const account = AccountResponse.parse((await buyer.request('GET', WEB_API_PATHS.account)).json);
      expect(account.subscription).toMatchObject({ status: 'active', isActive: true, provider: 'manual', billingPeriod: 'yearly' });

      const { payments } = PaymentsResponse.parse((await buyer.request('GET', BILLING_PATHS.payments)).json);
      expect(payments).toHaveLength(1);
      const number = payments[0]?.invoiceNumber ?? '';
      expect(payments[0]).toMatchObject({ amountMinor: 21_420, status: 'credited', reference: order.reference, invoiceNumber: 'INV-000001' });
      expect(PaymentsResponse.parse((await other.request('GET', BILLING_PATHS.payments)).json).payments).toEqual([]);

      const pdf = await buyer.request('GET', invoiceUrl(number));
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.headers.get('content-disposition')).toBe('attachment; filename="INV-000001.pdf"');
      expect(readPdf(pdf.body).text).toMatch(/Total\s+€214\.20/);
      expect((await other.request('GET', invoiceUrl(number))).status).toBe(404);
    });

    it('cancels with a reason, resumes, and tells the story in the history', async () => {
      const cancelled = await buyer.request('POST', WEB_API_PATHS.cancelSubscription, { reason: 'Too expensive for me' });
      expect(WebSubscription.parse(cancelled.json)).toMatchObject({ status: 'cancelled', isActive: true, cancelReason: 'Too expensive for me' });
      const resumed = await buyer.request('POST', BILLING_PATHS.resume);
      expect(WebSubscription.parse(resumed.json)).toMatchObject({ status: 'active', cancelReason: null });
      const again = await buyer.request('POST', BILLING_PATHS.resume);
      expect(again.status).toBe(400);
      expect(errorOf(again.json).message).toBe('The subscription is not cancelled');
      const { history } = HistoryResponse.parse((await buyer.request('GET', BILLING_PATHS.history)).json);
      expect(history.map((h) => h.action)).toEqual(['resumed', 'cancelled', 'started']);
      expect(history[1]).toMatchObject({ tier: 'Basic', reason: 'Too expensive for me' });
    });

    it('renews the same plan after the current period and upgrades for the rest of it', async () => {
      const renewal = QuoteResponse.parse((await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Basic', period: 'yearly' })).json);
      expect(renewal.kind).toBe('renewal');
      const upgrade = QuoteResponse.parse((await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Advanced', period: 'monthly' })).json);
      expect(upgrade.kind).toBe('upgrade');
      expect(upgrade.period).toBe('yearly');
      // Almost a whole year is left: close to the yearly difference (€180), before VAT.
      expect(upgrade.breakdown.netMinor).toBeGreaterThan(17_900);
      expect(upgrade.breakdown.netMinor).toBeLessThanOrEqual(18_000);
      const lower = await buyer.request('POST', BILLING_PATHS.quote, { tier: 'Supporter', period: 'monthly' });
      expect(lower.status).toBe(409);
    });
  });
}
