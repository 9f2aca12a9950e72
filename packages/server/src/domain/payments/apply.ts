import type { Transaction } from 'kysely';
import type { PaymentProvider } from '../../store/billing.table.ts';
import { lockAccount } from '../../store/database.ts';
import type { Database, SubscriptionRow } from '../../store/schema.ts';
import { recordAudit } from '../audit.ts';
import { issueInvoice } from '../billing/invoices.ts';
import { formatMoney } from '../billing/money.ts';
import { enqueueMail } from '../mail/queue.ts';
import { addPeriod } from '../billing/periods.ts';
import type { DomainContext } from '../context.ts';
import { isSubscriptionActive } from '../subscriptions.ts';
import { findOrder, type Order } from './orders.ts';

/**
 * The domain events every payment provider's events become, and the one place
 * that applies them. Each is applied exactly once: a payment by its unique
 * (provider, payment key), inside one transaction that also extends the
 * subscription, marks the order paid and issues the invoice — all or nothing.
 */

export interface PaymentReceived {
  provider: PaymentProvider;
  /** Unique per provider: a Stripe invoice id, "chainId:txHash:logIndex", the operator's reference. */
  paymentKey: string;
  accountId: number;
  /** The order it pays; null when nothing matches (kept for the operator). */
  orderId: number | null;
  /** What it is worth in the operator's currency. */
  amountMinor: number;
  /** Shown on the invoice: "Card (Stripe)", "USDC on Base", "Bank transfer". */
  methodLabel: string;
  /** Shown on the invoice and to the operator: a transaction hash, a bank reference. */
  reference: string;
  detail: Record<string, unknown>;
  /** The end of the period the provider says it pays (Stripe); otherwise one period is added. */
  coversUntil?: number | null;
  /** Keep it for the operator instead of crediting it (underpaid, unmatched, late at a changed rate). */
  flag?: string | null;
  /** Credit it, with a line for the operator (overpaid, late). */
  note?: string | null;
  /** The provider's subscription (Stripe) the payment belongs to. */
  externalId?: string | null;
  /** A renewal of a subscription that renews itself (Stripe): its order is paid again each period. */
  recurring?: boolean;
}

export type PaymentOutcome =
  | { status: 'credited'; paymentId: number; invoiceNumber: string; periodEnd: number }
  | { status: 'flagged'; paymentId: number; reason: string }
  | { status: 'duplicate'; paymentId: number };

type Trx = Transaction<Database>;

async function latestSubscription(trx: Trx, accountId: number): Promise<SubscriptionRow | undefined> {
  return trx
    .selectFrom('subscriptions')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Why a payment cannot be credited as it stands, or null. */
async function reasonToHold(trx: Trx, order: Order | null, event: PaymentReceived, now: number): Promise<string | null> {
  if (order === null) return 'no order matches this payment';
  if (order.accountId !== event.accountId) return 'the order belongs to another account';
  if (order.status === 'paid' && event.recurring !== true) return `order ${order.publicId} was already paid`;
  if (order.kind === 'upgrade') {
    const current = await latestSubscription(trx, order.accountId);
    if (current === undefined || !isSubscriptionActive(current, now)) return 'the period this upgrade was for has ended';
  }
  return null;
}

function describe(order: Order, periodEnd: number): string {
  const until = new Date(periodEnd).toISOString().slice(0, 10);
  if (order.kind === 'upgrade') return `rotki premium: upgrade to ${order.tierName} until ${until}`;
  return `rotki premium ${order.tierName}, ${order.period === 'yearly' ? 'one year' : 'one month'}`;
}

/** Extends or starts the subscription the order pays for; returns the period it now covers. */
async function creditOrder(
  trx: Trx,
  ctx: DomainContext,
  order: Order,
  event: PaymentReceived,
): Promise<{ periodStart: number; periodEnd: number; action: 'started' | 'renewed' | 'upgraded' }> {
  const now = ctx.clock.now();
  const current = await latestSubscription(trx, order.accountId);
  const active = current !== undefined && isSubscriptionActive(current, now);
  const common = {
    tier_id: order.tierId,
    provider: event.provider,
    billing_period: order.period,
    payment_reference: event.reference,
    payment_failed_at: null,
    updated_at: now,
    ...(event.externalId === undefined || event.externalId === null ? {} : { external_id: event.externalId }),
  };
  if (active && current !== undefined) {
    const currentEnd = Number(current.period_end);
    let periodEnd: number;
    let periodStart: number;
    if (order.kind === 'upgrade') {
      // Same period, dearer plan: the end stays.
      periodStart = now;
      periodEnd = currentEnd;
    } else if (event.coversUntil !== undefined && event.coversUntil !== null) {
      // The provider's period wins; a late event for an older period never shortens it.
      periodStart = Math.min(currentEnd, event.coversUntil);
      periodEnd = Math.max(currentEnd, event.coversUntil);
    } else {
      periodStart = currentEnd;
      periodEnd = addPeriod(currentEnd, order.period);
    }
    // A payment never undoes a cancellation: that is the subscriber's own decision (Resume undoes it).
    await trx.updateTable('subscriptions').set({ ...common, period_end: periodEnd }).where('id', '=', current.id).execute();
    return { periodStart, periodEnd, action: order.kind === 'upgrade' ? 'upgraded' : 'renewed' };
  }
  const periodEnd = event.coversUntil ?? addPeriod(now, order.period);
  await trx
    .insertInto('subscriptions')
    .values({
      ...common,
      account_id: order.accountId,
      status: 'active',
      period_start: now,
      period_end: periodEnd,
      external_id: event.externalId ?? null,
      cancel_reason: null,
      provider_state_at: null,
      reminded_for: null,
      expiry_noticed_for: null,
      created_at: now,
    })
    .execute();
  return { periodStart: now, periodEnd, action: 'started' };
}

/**
 * Records a payment once and credits it: the subscription is started,
 * extended or upgraded, the order is paid and the invoice issued, in one
 * transaction. A payment seen before changes nothing ('duplicate'). A payment
 * with a flag, or for no order, is kept for the operator ('flagged').
 */
export async function applyPayment(ctx: DomainContext, event: PaymentReceived): Promise<PaymentOutcome> {
  return ctx.store.db.transaction().execute(async (trx) => {
    // One account's payments, cancellations and grants are serialised across connections and instances.
    await lockAccount(trx, ctx.store.dialect, event.accountId);
    const seen = await trx
      .selectFrom('payments')
      .select('id')
      .where('provider', '=', event.provider)
      .where('provider_payment_id', '=', event.paymentKey)
      .executeTakeFirst();
    if (seen !== undefined) return { status: 'duplicate', paymentId: Number(seen.id) };

    const now = ctx.clock.now();
    const order = event.orderId === null ? null : await findOrder(trx, event.orderId);
    const flag = event.flag ?? (await reasonToHold(trx, order, event, now));
    const inserted = await trx
      .insertInto('payments')
      .values({
        account_id: event.accountId,
        order_id: order?.id ?? null,
        provider: event.provider,
        provider_payment_id: event.paymentKey,
        currency: ctx.billing.currency,
        amount_minor: event.amountMinor,
        status: flag === null ? 'credited' : 'flagged',
        flag_reason: flag ?? event.note ?? null,
        detail: JSON.stringify({ ...event.detail, method: event.methodLabel, reference: event.reference }),
        period_start: null,
        period_end: null,
        created_at: now,
        resolved_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const paymentId = Number(inserted.id);

    if (flag !== null || order === null) {
      await recordAudit(trx, ctx.clock, {
        accountId: event.accountId,
        action: 'payment.flagged',
        detail: { payment: paymentId, provider: event.provider, amount_minor: event.amountMinor, reason: flag },
      });
      return { status: 'flagged', paymentId, reason: flag ?? '' };
    }

    const { periodStart, periodEnd, action } = await creditOrder(trx, ctx, order, event);
    await trx.updateTable('payments').set({ period_start: periodStart, period_end: periodEnd }).where('id', '=', paymentId).execute();
    await trx
      .updateTable('orders')
      .set({ status: 'paid', paid_at: now, updated_at: now })
      .where('id', '=', order.id)
      .where('status', '!=', 'paid')
      .execute();
    const invoice = await issueInvoice(trx, ctx, {
      paymentId,
      accountId: event.accountId,
      document: {
        buyer: order.buyer,
        description: describe(order, periodEnd),
        period: { startMs: periodStart, endMs: periodEnd },
        breakdown: order.breakdown,
        paymentMethod: event.methodLabel,
        paymentReference: event.reference,
      },
    });
    await recordAudit(trx, ctx.clock, {
      accountId: event.accountId,
      action: `subscription.${action}`,
      detail: { tier: order.tierName, period: order.period, until: new Date(periodEnd).toISOString(), invoice: invoice.number },
    });
    const account = await trx.selectFrom('accounts').select(['username', 'email']).where('id', '=', event.accountId).executeTakeFirstOrThrow();
    // Queued in this transaction: the receipt goes out if and only if the payment is recorded.
    await enqueueMail(trx, ctx.clock, {
      to: account.email,
      template: 'payment-receipt',
      data: {
        username: account.username,
        plan: order.tierName,
        until: new Date(periodEnd).toISOString(),
        amount: formatMoney(event.amountMinor, ctx.billing.currency),
        invoiceNumber: invoice.number,
        method: event.methodLabel,
      },
    });
    await recordAudit(trx, ctx.clock, {
      accountId: event.accountId,
      action: 'payment.received',
      detail: { payment: paymentId, provider: event.provider, amount_minor: event.amountMinor, invoice: invoice.number, note: event.note ?? null },
    });
    return { status: 'credited', paymentId, invoiceNumber: invoice.number, periodEnd };
  });
}
