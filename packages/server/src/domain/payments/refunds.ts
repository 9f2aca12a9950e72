import { lockAccount } from '../../store/database.ts';
import { currentOperator, recordAudit } from '../audit.ts';
import { formatMoney } from '../billing/money.ts';
import type { DomainContext } from '../context.ts';
import { invalid, notFound } from '../errors.ts';

/** A refund as the console shows it. */
export interface RefundView {
  id: number;
  paymentId: number;
  /** The payment's reference (the operator's, the provider's payment id or the transaction). */
  paymentReference: string;
  invoiceNumber: string | null;
  currency: string;
  amountMinor: number;
  reason: string;
  operator: string | null;
  createdAt: number;
}

export interface RefundInput {
  accountId: number;
  paymentId: number;
  amountMinor: number;
  reason: string;
}

export const REFUND_REASON_MAX = 500;

/**
 * Records money paid back on one of the account's payments (the operator pays
 * it back outside this server, or in the provider's dashboard): at most what
 * the payment brought in, all its refunds together. The subscription is left
 * as it is (end it with "End now" when the refund ends it). Audited as
 * `payment.refunded`, with the operator's name when an operator records it.
 */
export async function recordRefund(ctx: DomainContext, input: RefundInput): Promise<RefundView> {
  const reason = input.reason.trim();
  if (reason === '' || reason.length > REFUND_REASON_MAX) throw invalid(`Say why, in 1 to ${REFUND_REASON_MAX} characters`);
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) throw invalid('The amount must be above 0');
  const { db, dialect } = ctx.store;
  const id = await db.transaction().execute(async (trx) => {
    // Refunds of one account's payments are recorded one at a time: two at once cannot both fit under the total.
    await lockAccount(trx, dialect, input.accountId);
    const payment = await trx
      .selectFrom('payments')
      .select(['id', 'amount_minor', 'currency', 'provider_payment_id'])
      .where('id', '=', input.paymentId)
      .where('account_id', '=', input.accountId)
      .executeTakeFirst();
    if (payment === undefined) throw notFound('This customer has no payment with this id');
    const refunded = await refundedOn(trx, [Number(payment.id)]);
    const paid = Number(payment.amount_minor);
    const left = paid - (refunded.get(Number(payment.id)) ?? 0);
    if (input.amountMinor > left) {
      throw invalid(
        left === 0
          ? 'This payment is refunded in full already'
          : `At most ${formatMoney(left, payment.currency)} can be refunded on this payment (${formatMoney(paid, payment.currency)} paid, ${formatMoney(paid - left, payment.currency)} refunded already)`,
      );
    }
    const row = await trx
      .insertInto('refunds')
      .values({
        payment_id: Number(payment.id),
        account_id: input.accountId,
        currency: payment.currency,
        amount_minor: input.amountMinor,
        reason,
        operator: currentOperator(),
        created_at: ctx.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, {
      accountId: input.accountId,
      action: 'payment.refunded',
      detail: { payment_id: Number(payment.id), reference: payment.provider_payment_id, amount_minor: input.amountMinor, currency: payment.currency, reason },
    });
    return Number(row.id);
  });
  const [refund] = (await listRefunds(ctx, input.accountId)).filter((r) => r.id === id);
  if (refund === undefined) throw new Error('refund not found after insert');
  return refund;
}

/** How much has been refunded on each of these payments. */
export async function refundedOn(db: DomainContext['store']['db'], paymentIds: number[]): Promise<Map<number, number>> {
  if (paymentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('refunds')
    .select((eb) => ['payment_id', eb.fn.sum<number | string>('amount_minor').as('total')])
    .where('payment_id', 'in', paymentIds)
    .groupBy('payment_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.payment_id), Number(r.total)]));
}

/** The account's refunds, newest first. */
export async function listRefunds(ctx: DomainContext, accountId: number): Promise<RefundView[]> {
  const rows = await ctx.store.db
    .selectFrom('refunds')
    .innerJoin('payments', 'payments.id', 'refunds.payment_id')
    .leftJoin('invoices', 'invoices.payment_id', 'refunds.payment_id')
    .selectAll('refunds')
    .select(['payments.provider_payment_id', 'payments.detail', 'invoices.number as invoice_number'])
    .where('refunds.account_id', '=', accountId)
    .orderBy('refunds.id', 'desc')
    .limit(200)
    .execute();
  return rows.map((row) => {
    const detail = JSON.parse(row.detail) as { reference?: string };
    return {
      id: Number(row.id),
      paymentId: Number(row.payment_id),
      paymentReference: detail.reference ?? row.provider_payment_id,
      invoiceNumber: row.invoice_number,
      currency: row.currency,
      amountMinor: Number(row.amount_minor),
      reason: row.reason,
      operator: row.operator,
      createdAt: Number(row.created_at),
    };
  });
}
