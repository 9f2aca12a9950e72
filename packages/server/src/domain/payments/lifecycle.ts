import type { DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { cancelSubscription, currentSubscription, resumeSubscription, type Subscription } from '../subscriptions.ts';
import type { PaymentGateways } from './gateways.ts';

async function externalIdOf(ctx: DomainContext, subscriptionId: number): Promise<string | null> {
  const row = await ctx.store.db.selectFrom('subscriptions').select('external_id').where('id', '=', subscriptionId).executeTakeFirst();
  return row?.external_id ?? null;
}

/**
 * The subscriber cancels: active until the period end, with an optional
 * reason. A subscription that renews itself at a provider (Stripe) is told
 * first, so a failure there leaves everything as it was.
 */
export async function cancelRenewal(ctx: DomainContext, gateways: PaymentGateways, accountId: number, reason: string | null): Promise<Subscription> {
  const current = await currentSubscription(ctx, accountId);
  if (current?.isActive === true && current.provider === 'stripe') {
    const externalId = await externalIdOf(ctx, current.id);
    if (externalId !== null) {
      if (gateways.stripe === null) throw invalid('Card payments are switched off here: ask the operator to cancel.');
      await gateways.stripe.setCancelAtPeriodEnd(externalId, true, reason);
    }
  }
  return cancelSubscription(ctx, accountId, reason);
}

/** The subscriber changes their mind before the period ends: renewal is back on. */
export async function resumeRenewal(ctx: DomainContext, gateways: PaymentGateways, accountId: number): Promise<Subscription> {
  const current = await currentSubscription(ctx, accountId);
  if (current?.isActive === true && current.status === 'cancelled' && current.provider === 'stripe') {
    const externalId = await externalIdOf(ctx, current.id);
    if (externalId !== null) {
      if (gateways.stripe === null) throw invalid('Card payments are switched off here: ask the operator.');
      await gateways.stripe.setCancelAtPeriodEnd(externalId, false, null);
    }
  }
  return resumeSubscription(ctx, accountId);
}
