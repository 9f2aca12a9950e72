import type { BillingPeriod } from '../billing/settings.ts';
import type { DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { judgeAmount } from './amounts.ts';
import { applyPayment, type PaymentOutcome } from './apply.ts';
import { findOrderByPublicId, placeOrder, type Order } from './orders.ts';

/**
 * The operator's provider: a payment that reached the operator outside this
 * server (a bank transfer), recorded by hand. It pays the account's pending
 * order whose reference the buyer quoted, or a new order for the plan named.
 * The reference is the payment's unique key: recording it twice changes
 * nothing the second time.
 */
export interface OperatorPayment {
  accountId: number;
  /** What arrived, in minor units of the operator's currency. */
  amountMinor: number;
  /** The order reference the buyer quoted, or the operator's own (a bank statement line). */
  reference: string;
  /** For a payment without an order: the plan it buys. */
  tierName?: string | undefined;
  period?: BillingPeriod | undefined;
}

export async function recordOperatorPayment(ctx: DomainContext, payment: OperatorPayment): Promise<{ order: Order; outcome: PaymentOutcome }> {
  const reference = payment.reference.trim();
  if (reference === '' || reference.length > 200) throw invalid('The reference must be 1 to 200 characters');
  if (!Number.isSafeInteger(payment.amountMinor) || payment.amountMinor <= 0) throw invalid('The amount must be above 0');
  let order = await findOrderByPublicId(ctx.store.db, reference);
  if (order !== null && order.accountId !== payment.accountId) order = null;
  if (order === null) {
    if (payment.tierName === undefined || payment.period === undefined) {
      throw invalid(`No order of this account has the reference "${reference}": name the plan with --tier and --period`);
    }
    order = await placeOrder(ctx, payment.accountId, { tierName: payment.tierName, period: payment.period, method: 'operator' });
  }
  const { flag, note } = judgeAmount(payment.amountMinor, order.breakdown.totalMinor, ctx.billing.currency);
  const outcome = await applyPayment(ctx, {
    provider: 'manual',
    paymentKey: reference,
    accountId: payment.accountId,
    orderId: order.id,
    amountMinor: payment.amountMinor,
    methodLabel: order.method === 'bank_transfer' ? 'bank transfer' : 'payment recorded by the operator',
    reference,
    detail: { order: order.publicId },
    flag,
    note,
  });
  return { order, outcome };
}
