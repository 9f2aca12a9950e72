import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { currentSubscription } from '../subscriptions.ts';
import type { StripeGateway } from './gateways.ts';
import { closeOrder, placeOrder, type Order } from './orders.ts';

export type RenewalSwitch = 'switched' | 'already switched' | 'nothing renews by card' | 'the upgrade is not credited';

/**
 * After an upgrade is paid, a card subscription must renew at the new plan:
 * otherwise Stripe charges the old price next period and the renewal, paying
 * the old order, would move the subscriber back down. The renewals pay a new
 * order for the upgraded plan at its full price (the one price function), and
 * Stripe charges that from the next period on.
 *
 * Safe to run again for the same upgrade (a webhook redelivered or replayed):
 * Stripe's subscription remembers which upgrade moved it. When the call to
 * Stripe fails the new order is closed and the error propagates, so the event
 * is processed again later.
 */
export async function moveCardRenewalToUpgrade(ctx: DomainContext, stripe: StripeGateway | null, upgrade: Order): Promise<RenewalSwitch> {
  const current = await currentSubscription(ctx, upgrade.accountId);
  if (current === null || !current.isActive || current.billingPeriod === null) return 'nothing renews by card';
  if (current.tier.id !== upgrade.tierId) return 'the upgrade is not credited';
  const row = await ctx.store.db.selectFrom('subscriptions').select('external_id').where('id', '=', current.id).executeTakeFirst();
  const subscriptionId = row?.external_id ?? null;
  if (subscriptionId === null || !subscriptionId.startsWith('sub_')) return 'nothing renews by card';
  if (stripe === null) throw new Error('card payments are switched off, so the Stripe subscription cannot be moved to the new plan');
  if ((await stripe.renewalUpgradedBy(subscriptionId)) === upgrade.publicId) return 'already switched';

  const renewal = await placeOrder(ctx, upgrade.accountId, { tierName: upgrade.tierName, period: current.billingPeriod, method: 'card' });
  try {
    await stripe.switchRenewalPlan(subscriptionId, renewal, upgrade.publicId);
  } catch (error) {
    await closeOrder(ctx.store.db, renewal.id, 'cancelled', ctx.clock.now());
    throw error;
  }
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId: upgrade.accountId,
    action: 'subscription.renewal_plan_changed',
    detail: { tier: renewal.tierName, period: renewal.period, renewal_order: renewal.publicId, upgrade_order: upgrade.publicId, total_minor: renewal.breakdown.totalMinor },
  });
  return 'switched';
}
