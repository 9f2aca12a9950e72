import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { DomainContext } from '../context.ts';
import { acquireLease } from '../leases.ts';
import { enqueueMail } from '../mail/queue.ts';

/**
 * Mails about time running out, sent once per period end whichever instance
 * runs the sweep: a **renewal reminder** before the end of a subscription
 * that does not renew by itself (crypto, bank transfer), **subscription
 * expiring** before the end of a cancelled one, and **subscription expired**
 * once a bought subscription has ended (a card subscription after its grace
 * period too). Each is claimed by a conditional update of the subscription
 * in the transaction that queues the mail: two instances, or a sweep run
 * again after a crash, never send one twice.
 */

export const NOTICE_LEASE = 'billing-notices';
/** Ends older than this when the sweep first sees them are not announced any more. */
const EXPIRED_LOOKBACK_MS = 3 * 24 * 60 * 60 * 1000;
const BATCH = 100;

type Trx = Kysely<Database>;

async function recipient(db: Trx, accountId: number): Promise<{ username: string; email: string } | undefined> {
  return db.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirst();
}

/** Renewal reminders and "expiring" notices for periods ending within the reminder time. */
async function sendReminders(ctx: DomainContext, now: number): Promise<number> {
  const due = await ctx.store.db
    .selectFrom('subscriptions')
    .innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
    .select(['subscriptions.id', 'subscriptions.account_id', 'subscriptions.status', 'subscriptions.period_end', 'subscriptions.provider', 'subscriptions.billing_period', 'tiers.name as tier'])
    .where('subscriptions.period_end', '>', now)
    .where('subscriptions.period_end', '<=', now + ctx.billing.reminderMs)
    .where((eb) => eb.or([eb('subscriptions.reminded_for', 'is', null), eb('subscriptions.reminded_for', '!=', eb.ref('subscriptions.period_end'))]))
    .where((eb) =>
      eb.or([
        eb('subscriptions.status', '=', 'cancelled'),
        eb.and([eb('subscriptions.status', '=', 'active'), eb('subscriptions.provider', 'in', ['evm', 'manual'])]),
      ]),
    )
    .orderBy('subscriptions.id')
    .limit(BATCH)
    .execute();
  let sent = 0;
  for (const row of due) {
    const end = Number(row.period_end);
    sent += await ctx.store.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('subscriptions')
        .set({ reminded_for: end })
        .where('id', '=', row.id)
        .where('period_end', '=', end)
        .where('status', '=', row.status)
        .where((eb) => eb.or([eb('reminded_for', 'is', null), eb('reminded_for', '!=', end)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return 0;
      const account = await recipient(trx, Number(row.account_id));
      if (account === undefined) return 0;
      const base = { username: account.username, plan: row.tier, until: new Date(end).toISOString() };
      if (row.status === 'cancelled') {
        await enqueueMail(trx, ctx.clock, { to: account.email, template: 'subscription-expiring', data: base });
      } else {
        await enqueueMail(trx, ctx.clock, { to: account.email, template: 'renewal-reminder', data: { ...base, period: row.billing_period ?? 'monthly' } });
      }
      return 1;
    });
  }
  return sent;
}

/** "Subscription expired" for bought subscriptions whose period (or grace period) has just ended. */
async function sendExpiryNotices(ctx: DomainContext, now: number): Promise<number> {
  const ended = await ctx.store.db
    .selectFrom('subscriptions')
    .innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
    .select(['subscriptions.id', 'subscriptions.account_id', 'subscriptions.period_end', 'tiers.name as tier'])
    .where('subscriptions.period_end', '<=', now)
    .where('subscriptions.period_end', '>', now - EXPIRED_LOOKBACK_MS)
    .where('subscriptions.provider', 'is not', null)
    .where((eb) => eb.or([eb('subscriptions.expiry_noticed_for', 'is', null), eb('subscriptions.expiry_noticed_for', '!=', eb.ref('subscriptions.period_end'))]))
    .orderBy('subscriptions.id')
    .limit(BATCH)
    .execute();
  let sent = 0;
  for (const row of ended) {
    const end = Number(row.period_end);
    sent += await ctx.store.db.transaction().execute(async (trx) => {
      // A later subscription of the account (bought after this one ended) makes this notice moot.
      const newer = await trx.selectFrom('subscriptions').select('id').where('account_id', '=', row.account_id).where('id', '>', row.id).executeTakeFirst();
      const claimed = await trx
        .updateTable('subscriptions')
        .set({ expiry_noticed_for: end })
        .where('id', '=', row.id)
        .where('period_end', '=', end)
        .where((eb) => eb.or([eb('expiry_noticed_for', 'is', null), eb('expiry_noticed_for', '!=', end)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1 || newer !== undefined) return 0;
      const account = await recipient(trx, Number(row.account_id));
      if (account === undefined) return 0;
      await enqueueMail(trx, ctx.clock, { to: account.email, template: 'subscription-expired', data: { username: account.username, plan: row.tier } });
      return 1;
    });
  }
  return sent;
}

/** One sweep, on the instance holding the notices lease; returns how many mails were queued. */
export async function sweepSubscriptionNotices(ctx: DomainContext, holder: string): Promise<number> {
  const now = ctx.clock.now();
  if (!(await acquireLease(ctx.store.db, NOTICE_LEASE, holder, now, 5 * 60_000))) return 0;
  return (await sendReminders(ctx, now)) + (await sendExpiryNotices(ctx, now));
}
