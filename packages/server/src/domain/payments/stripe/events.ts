import type Stripe from 'stripe';
import type { DomainContext } from '../../context.ts';
import { judgeAmount } from '../amounts.ts';
import { applyPayment, type PaymentOutcome } from '../apply.ts';
import { moveCardRenewalToUpgrade } from '../card-plan-change.ts';
import type { StripeGateway } from '../gateways.ts';
import { findOrderByPublicId } from '../orders.ts';
import type { EventOutcome } from '../provider-events.ts';
import { applyRenewalFailed, applyRenewalState, applySubscriptionEnded } from '../subscription-events.ts';

/**
 * Stripe's events as this server's domain events. Each maps to one domain
 * function, which dedupes by its own key (the Stripe invoice is the payment
 * key, whichever event reports it first), so any order of arrival and any
 * number of deliveries give the same result.
 *
 * "failed" means "try again later": Stripe redelivers, and an event that
 * arrived before the one it depends on (a subscription change before the
 * checkout) is processed then.
 */

const METHOD = 'card (Stripe)';

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

function paymentOutcome(outcome: PaymentOutcome): EventOutcome {
  switch (outcome.status) {
    case 'credited':
      return { status: 'processed', outcome: `payment credited, invoice ${outcome.invoiceNumber}, until ${new Date(outcome.periodEnd).toISOString()}` };
    case 'flagged':
      return { status: 'processed', outcome: `payment kept for review: ${outcome.reason}` };
    case 'duplicate':
      return { status: 'ignored', outcome: `payment ${outcome.paymentId} was recorded before` };
  }
}

async function rememberCustomer(ctx: DomainContext, accountId: number, customerId: string | null): Promise<void> {
  if (customerId === null) return;
  await ctx.store.db
    .insertInto('payment_customers')
    .values({ provider: 'stripe', customer_id: customerId, account_id: accountId, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function checkoutCompleted(ctx: DomainContext, stripe: StripeGateway | null, session: Stripe.Checkout.Session): Promise<EventOutcome> {
  const reference = session.client_reference_id ?? session.metadata?.order ?? null;
  if (reference === null) return { status: 'ignored', outcome: 'not a checkout of this server' };
  if (session.payment_status !== 'paid') return { status: 'ignored', outcome: `not paid yet (${session.payment_status})` };
  const order = await findOrderByPublicId(ctx.store.db, reference);
  if (order === null) return { status: 'failed', outcome: `no order ${reference}` };
  await rememberCustomer(ctx, order.accountId, idOf(session.customer));
  const subscriptionId = idOf(session.subscription);
  // A subscription's first payment is its first invoice, which invoice.paid reports too: one key for both.
  const paymentKey = idOf(session.invoice) ?? idOf(session.payment_intent) ?? session.id;
  const amount = session.amount_total ?? 0;
  const { flag, note } = judgeAmount(amount, order.breakdown.totalMinor, ctx.billing.currency);
  const payment = await applyPayment(ctx, {
    provider: 'stripe',
    paymentKey,
    accountId: order.accountId,
    orderId: order.id,
    amountMinor: amount,
    methodLabel: METHOD,
    reference: paymentKey,
    detail: { session: session.id, subscription: subscriptionId },
    externalId: subscriptionId,
    recurring: subscriptionId !== null,
    flag,
    note,
  });
  const outcome = paymentOutcome(payment);
  if (order.kind !== 'upgrade' || payment.status === 'flagged') return outcome;
  // Also on a redelivery: the payment may have been recorded by a try whose call to Stripe failed.
  let moved: string;
  try {
    moved = await moveCardRenewalToUpgrade(ctx, stripe, order);
  } catch (error) {
    return { status: 'failed', outcome: `${outcome.outcome}; renewal not moved to ${order.tierName} yet: ${error instanceof Error ? error.message : String(error)}` };
  }
  return moved === 'switched' ? { status: 'processed', outcome: `${outcome.outcome}; renewals now at ${order.tierName}` } : outcome;
}

function subscriptionOfInvoice(invoice: Stripe.Invoice): { id: string; order: string | null } | null {
  const details = invoice.parent?.subscription_details ?? null;
  const id = idOf(details?.subscription);
  if (details === null || id === null) return null;
  return { id, order: details.metadata?.order ?? null };
}

async function invoicePaid(ctx: DomainContext, invoice: Stripe.Invoice): Promise<EventOutcome> {
  const subscription = subscriptionOfInvoice(invoice);
  if (subscription === null || subscription.order === null) return { status: 'ignored', outcome: 'not a subscription of this server' };
  const order = await findOrderByPublicId(ctx.store.db, subscription.order);
  if (order === null) return { status: 'failed', outcome: `no order ${subscription.order}` };
  const periodEnd = Math.max(0, ...invoice.lines.data.map((line) => line.period.end)) * 1000;
  const { flag, note } = judgeAmount(invoice.amount_paid, order.breakdown.totalMinor, ctx.billing.currency);
  await rememberCustomer(ctx, order.accountId, idOf(invoice.customer));
  return paymentOutcome(
    await applyPayment(ctx, {
      provider: 'stripe',
      paymentKey: invoice.id ?? `invoice-of-${subscription.id}-${periodEnd}`,
      accountId: order.accountId,
      orderId: order.id,
      amountMinor: invoice.amount_paid,
      methodLabel: METHOD,
      reference: invoice.id ?? subscription.id,
      detail: { subscription: subscription.id, billing_reason: invoice.billing_reason },
      coversUntil: periodEnd > 0 ? periodEnd : null,
      externalId: subscription.id,
      recurring: true,
      flag,
      note,
    }),
  );
}

async function invoicePaymentFailed(ctx: DomainContext, invoice: Stripe.Invoice): Promise<EventOutcome> {
  const subscription = subscriptionOfInvoice(invoice);
  if (subscription === null) return { status: 'ignored', outcome: 'not a subscription invoice' };
  return applyRenewalFailed(ctx, { provider: 'stripe', externalId: subscription.id, paymentKey: invoice.id ?? '' });
}

/** Not known yet: the checkout that creates it has not arrived. Stripe redelivers later. */
function notYet(outcome: EventOutcome): EventOutcome {
  return outcome.status === 'ignored' && outcome.outcome.startsWith('no subscription') ? { status: 'failed', outcome: outcome.outcome } : outcome;
}

/** Applies one verified Stripe event; the caller stores it and its outcome. `stripe`: for the calls an event leads to. */
export async function processStripeEvent(ctx: DomainContext, stripe: StripeGateway | null, event: Stripe.Event): Promise<EventOutcome> {
  const stateAt = event.created * 1000;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return checkoutCompleted(ctx, stripe, event.data.object);
    case 'invoice.paid':
      return invoicePaid(ctx, event.data.object);
    case 'invoice.payment_failed':
      return notYet(await invoicePaymentFailed(ctx, event.data.object));
    case 'customer.subscription.updated': {
      const subscription = event.data.object;
      return notYet(
        await applyRenewalState(ctx, {
          provider: 'stripe',
          externalId: subscription.id,
          cancelAtPeriodEnd: subscription.cancel_at_period_end,
          reason: subscription.cancellation_details?.comment ?? null,
          stateAt,
        }),
      );
    }
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      return notYet(
        await applySubscriptionEnded(ctx, {
          provider: 'stripe',
          externalId: subscription.id,
          endedAt: (subscription.ended_at ?? event.created) * 1000,
          stateAt,
        }),
      );
    }
    default:
      return { status: 'ignored', outcome: `${event.type} is not an event this server acts on` };
  }
}
