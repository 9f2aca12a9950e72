import { randomBytes } from 'node:crypto';
import {
  ADMIN_API_PATHS,
  AuditList,
  CustomerDetail,
  CustomerSearchResult,
  DashboardView,
  customerActionPath,
  customerPath,
} from '@rotki-premium/protocol/admin-api';
import { BILLING_PATHS, PaymentsResponse } from '@rotki-premium/protocol/billing-api';
import { WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { createOperator } from '../src/domain/operators/operators.ts';
import { enableTotp, startTotpEnrolment } from '../src/domain/second-factor/subscriber-totp.ts';
import { totpCode } from '../src/domain/second-factor/totp.ts';
import { uploadAsRotki } from './support/backup-wire.ts';
import { ConsoleSession } from './support/console-session.ts';
import { call, ENDPOINTS } from './support/rotki-app.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Refunds, and what support does for a customer locked out or leaving, through the console API over HTTP. */
for (const dialect of DIALECTS) {
  describe(`refunds and customer care in the console (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let domain: ServerContext;
    let support: ConsoleSession;
    const operatorName = `care${dialect}`;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      domain = await openServerContext(server);
      const { password } = await createOperator(domain.ctx, { username: operatorName, email: 'care@ops.example', role: 'support' });
      support = new ConsoleSession(server.url);
      await support.signIn(operatorName, password);
      // Starting a server and hashing passwords (scrypt) takes long on a loaded machine.
    }, 180_000);
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    async function customerId(who: Subscriber): Promise<number> {
      const found = CustomerSearchResult.parse((await support.request('GET', `${ADMIN_API_PATHS.customers}?q=${who.username}`)).json);
      return found.customers[0]!.id;
    }

    async function dashboardToday(): Promise<DashboardView> {
      const now = Date.now();
      const from = new Date(now - DAY_MS).toISOString();
      const to = new Date(now + DAY_MS).toISOString();
      return DashboardView.parse((await support.request('GET', `${ADMIN_API_PATHS.dashboard}?from=${from}&to=${to}`)).json);
    }

    const manual = (view: DashboardView, figure: 'revenue' | 'mrr') => view[figure].byPaymentMethod.find((m) => m.method === 'manual')?.cents ?? 0;

    it('records refunds up to what a payment brought in, shows them with the payment, audits them by name and takes them off revenue and MRR', async () => {
      const who = await domain.createSubscriber('Basic');
      const id = await customerId(who);
      const reference = `bank-${randomBytes(4).toString('hex')}`;
      // A year of Basic at the default price (ten months of 18.00): credited, so it counts as revenue.
      const paid = await support.request('POST', customerActionPath(id, 'payment'), { amountMinor: 18_000, reference, tier: 'Basic', period: 'yearly' });
      expect(paid.status).toBe(200);
      const payment = CustomerDetail.parse(paid.json).payments[0]!;
      expect(payment).toMatchObject({ amountMinor: 18_000, refundedMinor: 0, status: 'credited' });
      const before = await dashboardToday();

      const tooMuch = await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 18_001, reason: 'too much' });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.json).toMatchObject({ error: { code: 'invalid_input' } });
      expect(JSON.stringify(tooMuch.json)).toContain('can be refunded on this payment');
      const blank = await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 100, reason: '  ' });
      expect(blank.status).toBe(400);
      const other = await domain.createSubscriber('Basic');
      const notTheirs = await support.request('POST', customerActionPath(await customerId(other), 'refund'), { paymentId: payment.id, amountMinor: 100, reason: 'x' });
      expect(notTheirs.status).toBe(404);

      const first = await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 3000, reason: 'Price error on the invoice' });
      expect(first.status).toBe(200);
      const afterFirst = CustomerDetail.parse(first.json);
      expect(afterFirst.payments[0]).toMatchObject({ id: payment.id, refundedMinor: 3000 });
      expect(afterFirst.refunds).toEqual([
        expect.objectContaining({ paymentId: payment.id, paymentReference: reference, amountMinor: 3000, reason: 'Price error on the invoice', operator: operatorName }),
      ]);
      // The subscriber's own payments table shows what was paid back (the operator's reason stays in the console).
      const subscriber = new HttpWebSession(server.url);
      expect((await subscriber.request('POST', WEB_API_PATHS.login, { username: who.username, password: who.password })).status).toBe(200);
      const seen = async () => PaymentsResponse.parse((await subscriber.request('GET', BILLING_PATHS.payments)).json).payments;
      expect(await seen()).toEqual([expect.objectContaining({ reference, amountMinor: 18_000, refundedMinor: 3000 })]);
      expect(JSON.stringify(await seen())).not.toContain('Price error');

      // Revenue today and the payment's monthly share both lose the refund: 18000 a year was 1500 a month, 15000 is 1250.
      const after = await dashboardToday();
      expect(manual(after, 'revenue') - manual(before, 'revenue')).toBe(-3000);
      expect(manual(after, 'mrr') - manual(before, 'mrr')).toBe(-250);
      expect(after.revenue.totalCents - before.revenue.totalCents).toBe(-3000);

      expect((await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 15_001, reason: 'rest' })).status).toBe(400);
      const rest = await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 15_000, reason: 'Cancelled within 14 days' });
      expect(CustomerDetail.parse(rest.json).payments[0]).toMatchObject({ refundedMinor: 18_000 });
      expect(await seen()).toEqual([expect.objectContaining({ reference, refundedMinor: 18_000 })]);
      const full = await support.request('POST', customerActionPath(id, 'refund'), { paymentId: payment.id, amountMinor: 1, reason: 'one more' });
      expect(full.status).toBe(400);
      expect(JSON.stringify(full.json)).toContain('refunded in full already');

      const audit = AuditList.parse((await support.request('GET', `${ADMIN_API_PATHS.audit}?account=${who.username}&action=payment.refunded`)).json);
      expect(audit.entries.map((e) => [e.operator, e.detail.amount_minor, e.detail.reason])).toEqual([
        [operatorName, 15_000, 'Cancelled within 14 days'],
        [operatorName, 3000, 'Price error on the invoice'],
      ]);
    });

    it('sends a password reset, resets two-factor, deletes the backups and then the account, each audited with the operator\'s name', async () => {
      const who = await domain.createSubscriber('Basic');
      const id = await customerId(who);
      const { ctx } = domain;
      const { secret } = await startTotpEnrolment(ctx, id);
      await enableTotp(ctx, id, totpCode(secret, Date.now()), null);
      const uploaded = await uploadAsRotki(server.url, who, randomBytes(4096), { chunkSize: 4096 });
      expect(uploaded.at(-1)?.status).toBe(200);
      const shown = CustomerDetail.parse((await support.request('GET', customerPath(id))).json);
      expect(shown.secondFactors).toEqual({ totp: true, passkeys: 0, recoveryCodes: expect.any(Number) as number });
      expect(shown.secondFactors.recoveryCodes).toBeGreaterThan(0);
      expect(shown.backup?.size).toBe(4096);

      const email = `${who.username}@example.com`;
      const resetMails = async () =>
        (await ctx.store.db.selectFrom('mail_queue').select('id').where('recipient', '=', email).where('template', '=', 'password-reset').execute()).length;
      expect((await support.request('POST', customerActionPath(id, 'send-password-reset'))).status).toBe(200);
      // The operator's request is not held back by the subscriber's one-a-minute limit.
      expect((await support.request('POST', customerActionPath(id, 'send-password-reset'))).status).toBe(200);
      expect(await resetMails()).toBe(2);

      const reset = CustomerDetail.parse((await support.request('POST', customerActionPath(id, 'reset-two-factor'))).json);
      expect(reset.secondFactors).toEqual({ totp: false, passkeys: 0, recoveryCodes: 0 });

      const cleared = CustomerDetail.parse((await support.request('POST', customerActionPath(id, 'delete-backups'))).json);
      expect(cleared.backup).toBeNull();
      expect((await call(server.url, who, ENDPOINTS.lastDataMetadata)).json).toMatchObject({ data_size: 0 });

      const running = await support.request('POST', customerActionPath(id, 'delete-account'));
      expect(running.status).toBe(409);
      expect(JSON.stringify(running.json)).toContain('end it first');
      expect((await support.request('POST', customerActionPath(id, 'expire'))).status).toBe(200);
      const deleted = CustomerDetail.parse((await support.request('POST', customerActionPath(id, 'delete-account'))).json);
      expect(deleted.deletedAt).not.toBeNull();
      expect(deleted.username).toBe(`deleted-${id}`);
      expect(deleted.credentials).toBeNull();
      expect(((await call(server.url, who, ENDPOINTS.limits)).json as { code: string }).code).toBe('unknown_api_key');
      expect((await support.request('POST', customerActionPath(id, 'delete-account'))).status).toBe(409);
      expect((await support.request('POST', customerActionPath(id, 'send-password-reset'))).status).toBe(409);
      expect((await support.request('POST', customerActionPath(999_999, 'reset-two-factor'))).status).toBe(404);

      const audit = AuditList.parse((await support.request('GET', `${ADMIN_API_PATHS.audit}?account=deleted-${id}&operator=${operatorName}`)).json);
      // Deleting the account deletes its backups again (none left by then: 0 versions).
      expect(audit.entries.map((e) => e.action)).toEqual([
        'backup.deleted',
        'account.deleted',
        'subscription.expired',
        'backup.deleted',
        'totp.disabled',
        'password.reset_requested',
        'password.reset_requested',
      ]);
    });
  });
}
