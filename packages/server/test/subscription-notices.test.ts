import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBillingSettings } from '../src/config/billing-config.ts';
import { recordOperatorPayment } from '../src/domain/payments/manual.ts';
import { sweepSubscriptionNotices } from '../src/domain/payments/notices.ts';
import { placeOrder } from '../src/domain/payments/orders.ts';
import { cancelSubscription, currentSubscription, grantSubscription } from '../src/domain/subscriptions.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

const DAY = 86_400_000;

const billingSettings = buildBillingSettings({ currency: 'EUR', reminderDays: 7, bankTransfer: { instructions: 'IBAN DE00' } });

describe('renewal reminders and end-of-subscription mails', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;

  async function mails(email: string): Promise<string[]> {
    const rows = await t.ctx.store.db.selectFrom('mail_queue').select('template').where('recipient', '=', email).orderBy('id').execute();
    return rows.map((r) => r.template);
  }

  /** A subscriber who paid a month of Basic by bank transfer now. */
  async function paidMonthly() {
    const account = await newAccount(t.ctx);
    const order = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'monthly', method: 'bank_transfer' });
    await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: order.breakdown.totalMinor, reference: order.publicId });
    return account;
  }

  beforeAll(async () => {
    t = await createTestContext(START_MS, await billingSettings);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('reminds once before the end of a plan that does not renew itself, then says it ended, once', async () => {
    const account = await paidMonthly();
    const end = (await currentSubscription(t.ctx, account.id))?.periodEnd.getTime() ?? 0;
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual(['payment-receipt']);

    t.clock.set(end - 7 * DAY + 1_000);
    // Two instances sweeping at once (the lease lets one through; the claim would stop a second anyway).
    await Promise.all([sweepSubscriptionNotices(t.ctx, 'a'), sweepSubscriptionNotices(t.ctx, 'a')]);
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual(['payment-receipt', 'renewal-reminder']);

    t.clock.set(end + 1_000);
    await sweepSubscriptionNotices(t.ctx, 'a');
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual(['payment-receipt', 'renewal-reminder', 'subscription-expired']);
    expect((await currentSubscription(t.ctx, account.id))?.isActive).toBe(false);
  });

  it('reminds again for the next period after a renewal', async () => {
    const account = await paidMonthly();
    const end = (await currentSubscription(t.ctx, account.id))?.periodEnd.getTime() ?? 0;
    t.clock.set(end - 3 * DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    const renewal = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'monthly', method: 'bank_transfer' });
    await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: renewal.breakdown.totalMinor, reference: renewal.publicId });
    const next = (await currentSubscription(t.ctx, account.id))?.periodEnd.getTime() ?? 0;
    expect(next).toBeGreaterThan(end);
    t.clock.set(end + DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    // Renewed: nothing ended, and the next reminder waits for the next end.
    expect(await mails(account.email)).toEqual(['payment-receipt', 'renewal-reminder', 'payment-receipt']);
    t.clock.set(next - 2 * DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual(['payment-receipt', 'renewal-reminder', 'payment-receipt', 'renewal-reminder']);
  });

  it('tells a subscriber who cancelled that it ends, instead of asking to renew', async () => {
    const account = await paidMonthly();
    await cancelSubscription(t.ctx, account.id, 'too expensive');
    const end = (await currentSubscription(t.ctx, account.id))?.periodEnd.getTime() ?? 0;
    t.clock.set(end - DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual(['payment-receipt', 'subscription-expiring']);
  });

  it('sends nothing for time granted by the operator', async () => {
    const account = await newAccount(t.ctx);
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    const end = (await currentSubscription(t.ctx, account.id))?.periodEnd.getTime() ?? 0;
    t.clock.set(end - DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    t.clock.set(end + DAY);
    await sweepSubscriptionNotices(t.ctx, 'a');
    expect(await mails(account.email)).toEqual([]);
  });
});
