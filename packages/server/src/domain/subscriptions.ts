import type { SubscriptionRow, SubscriptionStatus } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { invalid, notFound } from './errors.ts';
import { requireTier, toTier, type Tier } from './tiers.ts';

export interface Subscription {
  id: number;
  accountId: number;
  tier: Tier;
  status: SubscriptionStatus;
  periodStart: Date;
  periodEnd: Date;
  /** Active or cancelled with the period not yet over. */
  isActive: boolean;
  /** How it is paid: 'manual', 'stripe' (renews itself) or 'evm' (renewed by hand); null when granted before billing. */
  provider: string | null;
  billingPeriod: 'monthly' | 'yearly' | null;
  cancelReason: string | null;
  /** A renewal failed: the subscription runs on the grace period. */
  paymentFailedAt: Date | null;
}

export function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}

export function isSubscriptionActive(row: Pick<SubscriptionRow, 'status' | 'period_end'>, nowMs: number): boolean {
  return row.status !== 'expired' && Number(row.period_end) > nowMs;
}

/** The account's latest subscription, or null if it never had one. */
export async function currentSubscription(ctx: DomainContext, accountId: number): Promise<Subscription | null> {
  const row = await ctx.store.db
    .selectFrom('subscriptions')
    .innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
    .selectAll('tiers')
    .select([
      'subscriptions.id as subscription_id',
      'subscriptions.status',
      'subscriptions.period_start',
      'subscriptions.period_end',
      'subscriptions.provider',
      'subscriptions.billing_period',
      'subscriptions.cancel_reason',
      'subscriptions.payment_failed_at',
    ])
    .where('subscriptions.account_id', '=', accountId)
    .orderBy('subscriptions.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return null;
  const now = ctx.clock.now();
  return {
    id: Number(row.subscription_id),
    accountId,
    tier: toTier(row),
    status: row.status === 'expired' || Number(row.period_end) <= now ? 'expired' : row.status,
    periodStart: new Date(Number(row.period_start)),
    periodEnd: new Date(Number(row.period_end)),
    isActive: isSubscriptionActive(row, now),
    provider: row.provider,
    billingPeriod: row.billing_period,
    cancelReason: row.cancel_reason,
    paymentFailedAt: row.payment_failed_at === null ? null : new Date(Number(row.payment_failed_at)),
  };
}

export async function requireActiveSubscription(ctx: DomainContext, accountId: number): Promise<Subscription> {
  const subscription = await currentSubscription(ctx, accountId);
  if (subscription === null || !subscription.isActive) {
    throw invalid('No active subscription: API credentials need an active subscription');
  }
  return subscription;
}

/**
 * Grants `months` of `tierName`. An active subscription is extended from its
 * period end (and moved to the new tier); otherwise a new period starts now.
 */
export async function grantSubscription(
  ctx: DomainContext,
  accountId: number,
  tierName: string,
  months: number,
  paymentReference: string | null = null,
): Promise<Subscription> {
  if (!Number.isInteger(months) || months < 1 || months > 120) throw invalid('Months must be a whole number from 1 to 120');
  const tier = await requireTier(ctx, tierName);
  const now = ctx.clock.now();
  const current = await currentSubscription(ctx, accountId);
  const { db } = ctx.store;
  if (current !== null && current.isActive) {
    await db
      .updateTable('subscriptions')
      .set({
        tier_id: tier.id,
        status: 'active',
        period_end: addMonths(current.periodEnd.getTime(), months),
        payment_reference: paymentReference,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
  } else {
    await db
      .insertInto('subscriptions')
      .values({
        account_id: accountId,
        tier_id: tier.id,
        status: 'active',
        period_start: now,
        period_end: addMonths(now, months),
        payment_reference: paymentReference,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  await recordAudit(db, ctx.clock, {
    accountId,
    action: 'subscription.granted',
    detail: { tier: tier.name, months },
  });
  return (await currentSubscription(ctx, accountId)) as Subscription;
}

async function requireCurrent(ctx: DomainContext, accountId: number): Promise<Subscription> {
  const current = await currentSubscription(ctx, accountId);
  if (current === null) throw notFound('This account has no subscription');
  return current;
}

/** Cancels renewal: the subscription stays active until its period end. `reason` is kept for the operator. */
export async function cancelSubscription(ctx: DomainContext, accountId: number, reason: string | null = null): Promise<Subscription> {
  const current = await requireCurrent(ctx, accountId);
  if (!current.isActive) throw invalid('The subscription is not active');
  const cleanReason = reason === null || reason.trim() === '' ? null : reason.trim().slice(0, 500);
  await ctx.store.db
    .updateTable('subscriptions')
    .set({ status: 'cancelled', cancel_reason: cleanReason, updated_at: ctx.clock.now() })
    .where('id', '=', current.id)
    .execute();
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'subscription.cancelled',
    detail: { active_until: current.periodEnd.toISOString(), tier: current.tier.name, ...(cleanReason === null ? {} : { reason: cleanReason }) },
  });
  return requireCurrent(ctx, accountId);
}

/** Undoes a cancellation before the period ends: renewal is back on. */
export async function resumeSubscription(ctx: DomainContext, accountId: number): Promise<Subscription> {
  const current = await requireCurrent(ctx, accountId);
  if (!current.isActive) throw invalid('The subscription has ended: buy a new one on the pricing page');
  if (current.status !== 'cancelled') throw invalid('The subscription is not cancelled');
  await ctx.store.db
    .updateTable('subscriptions')
    .set({ status: 'active', cancel_reason: null, updated_at: ctx.clock.now() })
    .where('id', '=', current.id)
    .execute();
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'subscription.resumed',
    detail: { tier: current.tier.name, until: current.periodEnd.toISOString() },
  });
  return requireCurrent(ctx, accountId);
}

/** Ends the subscription now. */
export async function expireSubscription(ctx: DomainContext, accountId: number): Promise<Subscription> {
  const current = await requireCurrent(ctx, accountId);
  const now = ctx.clock.now();
  await ctx.store.db
    .updateTable('subscriptions')
    .set({ status: 'expired', period_end: Math.min(now, current.periodEnd.getTime()), updated_at: now })
    .where('id', '=', current.id)
    .execute();
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'subscription.expired' });
  return requireCurrent(ctx, accountId);
}
