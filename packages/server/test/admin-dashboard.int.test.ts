import { ADMIN_API_PATHS, DashboardView } from '@rotki-premium/protocol/admin-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { createAccount } from '../src/domain/accounts.ts';
import type { DomainContext } from '../src/domain/context.ts';
import { createOperator } from '../src/domain/operators/operators.ts';
import { grantSubscription } from '../src/domain/subscriptions.ts';
import { ConsoleSession } from './support/console-session.ts';

const at = (iso: string) => Date.parse(iso);
const FROM = '2024-03-01T00:00:00.000Z';
const TO = '2024-03-08T00:00:00.000Z';

/** The domain with its clock stopped at `iso`: rows written through it carry that time. */
function atTime(ctx: DomainContext, iso: string): DomainContext {
  return { ...ctx, clock: { now: () => at(iso) } };
}

/**
 * Data with known counts and sums, in the past so nothing else in the
 * database falls in the period: four accounts (three signed up in the
 * period), two subscriptions active at its end (Basic, Advanced) and one that
 * ended in it, payments by two providers, refunds in and after the period,
 * three devices, two backups, failed logins and failed signatures in and out
 * of the period.
 */
async function seed(ctx: DomainContext): Promise<void> {
  const { db } = ctx.store;
  const password = 'correct horse battery';
  const a = await createAccount(atTime(ctx, '2024-03-01T09:00:00Z'), { username: 'dash_a', email: 'a@dash.example', password });
  const b = await createAccount(atTime(ctx, '2024-03-01T18:00:00Z'), { username: 'dash_b', email: 'b@dash.example', password });
  await createAccount(atTime(ctx, '2024-03-03T12:00:00Z'), { username: 'dash_c', email: 'c@dash.example', password });
  const d = await createAccount(atTime(ctx, '2024-02-10T12:00:00Z'), { username: 'dash_d', email: 'd@dash.example', password });
  await grantSubscription(atTime(ctx, '2024-03-01T10:00:00Z'), a.id, 'Basic', 1);
  await grantSubscription(atTime(ctx, '2024-03-01T19:00:00Z'), b.id, 'Advanced', 12);
  // Ends 2024-03-04T00:00, inside the period, not renewed: churn.
  await grantSubscription(atTime(ctx, '2024-02-04T00:00:00Z'), d.id, 'Basic', 1);

  const payment = (accountId: number, provider: 'manual' | 'stripe', id: string, amount: number, start: string, end: string, created: string) => ({
    account_id: accountId,
    order_id: null,
    provider,
    provider_payment_id: id,
    currency: ctx.billing.currency,
    amount_minor: amount,
    status: 'credited' as const,
    flag_reason: null,
    detail: '{}',
    period_start: at(start),
    period_end: at(end),
    created_at: at(created),
    resolved_at: null,
  });
  await db
    .insertInto('payments')
    .values([
      payment(a.id, 'manual', 'dash-a', 1000, '2024-03-01T10:00:00Z', '2024-04-01T10:00:00Z', '2024-03-02T08:00:00Z'),
      payment(b.id, 'stripe', 'dash-b', 12000, '2024-03-01T19:00:00Z', '2025-03-01T19:00:00Z', '2024-03-02T09:00:00Z'),
      payment(d.id, 'manual', 'dash-d', 500, '2024-02-04T00:00:00Z', '2024-03-04T00:00:00Z', '2024-02-04T00:00:00Z'),
    ])
    .execute();
  // Half of b's year paid back inside the period; a's month paid back after it (neither revenue nor MRR of the period).
  const paymentId = async (reference: string) =>
    Number((await db.selectFrom('payments').select('id').where('provider_payment_id', '=', reference).executeTakeFirstOrThrow()).id);
  const refund = async (accountId: number, reference: string, amount: number, created: string) => ({
    payment_id: await paymentId(reference),
    account_id: accountId,
    currency: ctx.billing.currency,
    amount_minor: amount,
    reason: 'seeded',
    operator: 'dashops',
    created_at: at(created),
  });
  await db
    .insertInto('refunds')
    .values([await refund(b.id, 'dash-b', 6000, '2024-03-05T12:00:00Z'), await refund(a.id, 'dash-a', 1000, '2024-03-10T12:00:00Z')])
    .execute();

  const device = (accountId: number, identifier: string) => ({
    account_id: accountId,
    device_identifier: identifier,
    device_name: identifier,
    platform: 'Linux',
    created_at: at('2024-03-02T00:00:00Z'),
    last_seen_at: at('2024-03-02T00:00:00Z'),
  });
  await db.insertInto('devices').values([device(a.id, 'dev-a1'), device(a.id, 'dev-a2'), device(b.id, 'dev-b1')]).execute();
  const backup = (accountId: number, size: number) => ({
    account_id: accountId,
    upload_id: `up${accountId}`,
    blob_ref: `blobs/up${accountId}`,
    sha256: 'x',
    size,
    compression: 'zlib',
    last_modify_ts: 1_709_000_000,
    upload_ts: at('2024-03-02T00:00:00Z'),
  });
  await db.insertInto('backups').values([backup(a.id, 1000), backup(b.id, 2500)]).execute();

  const failedLogin = (iso: string) => ({ account_id: a.id, action: 'login.failed', detail: '{}', ip: '192.0.2.1', created_at: at(iso), operator: null });
  await db
    .insertInto('audit_events')
    .values([failedLogin('2024-03-02T10:00:00Z'), failedLogin('2024-03-02T11:00:00Z'), failedLogin('2024-02-20T10:00:00Z')])
    .execute();
  await db
    .insertInto('activity_counts')
    .values([
      { hour_start: at('2024-03-02T10:00:00Z'), name: 'signature_failed', count: 5 },
      { hour_start: at('2024-03-05T00:00:00Z'), name: 'signature_failed', count: 2 },
      { hour_start: at('2024-02-28T10:00:00Z'), name: 'signature_failed', count: 9 },
    ])
    .execute();
}

for (const dialect of DIALECTS) {
  describe(`the console dashboard against seeded data (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let domain: ServerContext;
    let operator: ConsoleSession;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      domain = await openServerContext(server);
      await seed(domain.ctx);
      const { password } = await createOperator(domain.ctx, { username: 'dashops', email: 'ops@dash.example', role: 'support' });
      operator = new ConsoleSession(server.url);
      await operator.signIn('dashops', password);
      // Starting a server and hashing passwords (scrypt) takes long on a loaded machine.
    }, 180_000);
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('gives the known counts and sums for the chosen period, with a point per day', async () => {
      const response = await operator.request('GET', `${ADMIN_API_PATHS.dashboard}?from=${FROM}&to=${TO}`);
      expect(response.status).toBe(200);
      const view = DashboardView.parse(response.json);
      const currency = domain.ctx.billing.currency;
      expect(view).toMatchObject({
        period: { from: FROM, to: TO },
        activeSubscribers: { total: 2, byTier: [{ tier: 'Advanced', count: 1 }, { tier: 'Basic', count: 1 }] },
        newSignups: 3,
        churned: 1,
        // 13000 received, 6000 of it paid back in the period.
        revenue: { currency, totalCents: 7000, byPaymentMethod: [{ method: 'manual', cents: 1000 }, { method: 'stripe', cents: 6000 }] },
        // 1000 for one month; 12000 for twelve less the 6000 refunded: 500 a month.
        mrr: { currency, totalCents: 1500, byPaymentMethod: [{ method: 'manual', cents: 1000 }, { method: 'stripe', cents: 500 }] },
        devices: 3,
        backupStorage: { backups: 2, bytes: 3500 },
        failedSignatures: 7,
        failedLogins: 2,
      });
      expect(view.series.map((p) => p.day)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07']);
      expect(view.series.map((p) => p.signups)).toEqual([2, 0, 1, 0, 0, 0, 0]);
      expect(view.series.map((p) => p.activeSubscribers)).toEqual([3, 3, 3, 2, 2, 2, 2]);
      expect(view.series.map((p) => p.failedLogins)).toEqual([0, 2, 0, 0, 0, 0, 0]);
      expect(view.series.map((p) => p.failedSignatures)).toEqual([0, 5, 0, 0, 2, 0, 0]);
    });

    it('refuses a period that ends before it starts or is longer than a year, with a 400', async () => {
      const backwards = await operator.request('GET', `${ADMIN_API_PATHS.dashboard}?from=${TO}&to=${FROM}`);
      expect(backwards.status).toBe(400);
      expect((backwards.json as { error: { message: string } }).error.message).toBe('The period must end after it starts');
      expect((await operator.request('GET', `${ADMIN_API_PATHS.dashboard}?from=2022-01-01T00:00:00Z&to=${TO}`)).status).toBe(400);
      expect((await operator.request('GET', `${ADMIN_API_PATHS.dashboard}?from=yesterday&to=${TO}`)).status).toBe(400);
    });
  });
}
