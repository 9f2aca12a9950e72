import type { Transaction } from 'kysely';
import type { PaymentProvider } from '../../store/billing.table.ts';
import { lockAccount } from '../../store/database.ts';
import type { Database, SubscriptionRow } from '../../store/schema.ts';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { enqueueMail } from '../mail/queue.ts';
import type { EventOutcome } from './provider-events.ts';

/**
 * Domain events about a subscription that a provider renews by itself
 * (Stripe): a renewal payment failed, the renewal was switched off or on, the
 * subscription ended. Each finds the subscription by the provider's id and
 * applies in one transaction; a state older than the one applied last
 * (`provider_state_at`) changes nothing, so events may arrive in any order.
 */

type Trx = Transaction<Database>;

async function findByExternalId(ctx: DomainContext, provider: string, externalId: string): Promise<SubscriptionRow | undefined> {
  return ctx.store.db
    .selectFrom('subscriptions')
    .selectAll()
    .where('provider', '=', provider)
    .where('external_id', '=', externalId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Runs `work` on the subscription with its account locked, re-read inside the transaction. */
async function withSubscription(
  ctx: DomainContext,
  provider: string,
  externalId: string,
  work: (trx: Trx, row: SubscriptionRow, account: { username: string; email: string; tier: string }) => Promise<EventOutcome>,
): Promise<EventOutcome> {
  const found = await findByExternalId(ctx, provider, externalId);
  if (found === undefined) return { status: 'ignored', outcome: `no subscription ${externalId} here` };
  return ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, Number(found.account_id));
    const row = await trx.selectFrom('subscriptions').selectAll().where('id', '=', found.id).executeTakeFirstOrThrow();
    const account = await trx.selectFrom('accounts').select(['username', 'email']).where('id', '=', row.account_id).executeTakeFirstOrThrow();
    const tier = await trx.selectFrom('tiers').select('name').where('id', '=', row.tier_id).executeTakeFirstOrThrow();
    return work(trx, row, { ...account, tier: tier.name });
  });
}

function isStale(row: SubscriptionRow, stateAt: number): boolean {
  return row.provider_state_at !== null && Number(row.provider_state_at) > stateAt;
}

/**
 * A renewal payment failed: the subscription stays active for the grace
 * period (from now, never shortening it), and the subscriber is told once.
 */
export async function applyRenewalFailed(
  ctx: DomainContext,
  event: { provider: PaymentProvider; externalId: string; paymentKey: string },
): Promise<EventOutcome> {
  return withSubscription(ctx, event.provider, event.externalId, async (trx, row, account) => {
    const paid = await trx
      .selectFrom('payments')
      .select('id')
      .where('provider', '=', event.provider)
      .where('provider_payment_id', '=', event.paymentKey)
      .executeTakeFirst();
    if (paid !== undefined) return { status: 'ignored', outcome: `${event.paymentKey} was paid after all` };
    if (row.status === 'expired') return { status: 'ignored', outcome: 'the subscription has ended' };
    const now = ctx.clock.now();
    const graceEnd = Math.max(Number(row.period_end), now + ctx.billing.gracePeriodMs);
    await trx.updateTable('subscriptions').set({ payment_failed_at: now, period_end: graceEnd, updated_at: now }).where('id', '=', row.id).execute();
    await recordAudit(trx, ctx.clock, {
      accountId: Number(row.account_id),
      action: 'subscription.payment_failed',
      detail: { tier: account.tier, until: new Date(graceEnd).toISOString(), payment: event.paymentKey },
    });
    await enqueueMail(trx, ctx.clock, {
      to: account.email,
      template: 'payment-failed',
      data: { username: account.username, plan: account.tier, until: new Date(graceEnd).toISOString() },
    });
    return { status: 'processed', outcome: `payment failed: active in grace until ${new Date(graceEnd).toISOString()}` };
  });
}

/** The provider says renewal is off (cancelled at the period end) or back on, as of `stateAt`. */
export async function applyRenewalState(
  ctx: DomainContext,
  event: { provider: string; externalId: string; cancelAtPeriodEnd: boolean; reason: string | null; stateAt: number },
): Promise<EventOutcome> {
  return withSubscription(ctx, event.provider, event.externalId, async (trx, row, account) => {
    if (isStale(row, event.stateAt)) return { status: 'ignored', outcome: 'an older state than the one applied' };
    const now = ctx.clock.now();
    if (row.status === 'expired') return { status: 'ignored', outcome: 'the subscription has ended' };
    const status = event.cancelAtPeriodEnd ? 'cancelled' : 'active';
    await trx
      .updateTable('subscriptions')
      .set({
        status,
        provider_state_at: event.stateAt,
        updated_at: now,
        ...(event.cancelAtPeriodEnd ? (event.reason === null ? {} : { cancel_reason: event.reason }) : { cancel_reason: null }),
      })
      .where('id', '=', row.id)
      .execute();
    if (status === row.status) return { status: 'processed', outcome: `renewal ${event.cancelAtPeriodEnd ? 'off' : 'on'}, as before` };
    await recordAudit(trx, ctx.clock, {
      accountId: Number(row.account_id),
      action: event.cancelAtPeriodEnd ? 'subscription.cancelled' : 'subscription.resumed',
      detail: {
        tier: account.tier,
        until: new Date(Number(row.period_end)).toISOString(),
        via: event.provider,
        ...(event.reason === null ? {} : { reason: event.reason }),
      },
    });
    return { status: 'processed', outcome: event.cancelAtPeriodEnd ? 'cancelled at the period end' : 'renewal resumed' };
  });
}

/** The provider ended the subscription (after failed retries, or at the end of a cancelled period). */
export async function applySubscriptionEnded(
  ctx: DomainContext,
  event: { provider: string; externalId: string; endedAt: number; stateAt: number },
): Promise<EventOutcome> {
  return withSubscription(ctx, event.provider, event.externalId, async (trx, row, account) => {
    if (row.status === 'expired') return { status: 'ignored', outcome: 'already ended' };
    const now = ctx.clock.now();
    const end = Math.min(Number(row.period_end), Math.max(event.endedAt, Number(row.period_start)));
    await trx
      .updateTable('subscriptions')
      .set({ status: 'expired', period_end: end, provider_state_at: Math.max(event.stateAt, Number(row.provider_state_at ?? 0)), expiry_noticed_for: end, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    await recordAudit(trx, ctx.clock, {
      accountId: Number(row.account_id),
      action: 'subscription.expired',
      detail: { tier: account.tier, until: new Date(end).toISOString(), via: event.provider },
    });
    await enqueueMail(trx, ctx.clock, { to: account.email, template: 'subscription-expired', data: { username: account.username, plan: account.tier } });
    return { status: 'processed', outcome: `ended at ${new Date(end).toISOString()}` };
  });
}
