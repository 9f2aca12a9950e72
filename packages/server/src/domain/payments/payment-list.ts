import type { PaymentProvider, PaymentStatus } from '../../store/billing.table.ts';
import { listAuditEvents } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { refundedOn } from './refunds.ts';

export interface PaymentView {
  id: number;
  accountId: number | null;
  username: string | null;
  provider: PaymentProvider;
  providerPaymentId: string;
  currency: string;
  amountMinor: number;
  /** Paid back so far (refunds the operator recorded). */
  refundedMinor: number;
  status: PaymentStatus;
  /** Why it is held, or a note on a credited one (overpaid, late). */
  flagReason: string | null;
  method: string;
  reference: string;
  orderReference: string | null;
  periodStart: number | null;
  periodEnd: number | null;
  invoiceNumber: string | null;
  createdAt: number;
}

export interface PaymentFilter {
  accountId?: number;
  /** Only payments the operator should look at: held ones, and credited ones with a note, not yet resolved. */
  needsAttention?: boolean;
  limit?: number;
}

/** Payments newest first, with their invoice numbers: the subscription page's table and the operator's list. */
export async function listPayments(ctx: DomainContext, filter: PaymentFilter = {}): Promise<PaymentView[]> {
  let query = ctx.store.db
    .selectFrom('payments')
    .leftJoin('invoices', 'invoices.payment_id', 'payments.id')
    .leftJoin('orders', 'orders.id', 'payments.order_id')
    .leftJoin('accounts', 'accounts.id', 'payments.account_id')
    .selectAll('payments')
    .select(['invoices.number as invoice_number', 'orders.public_id as order_reference', 'accounts.username'])
    .orderBy('payments.id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.accountId !== undefined) query = query.where('payments.account_id', '=', filter.accountId);
  if (filter.needsAttention === true) {
    query = query.where('payments.flag_reason', 'is not', null).where('payments.status', '!=', 'resolved');
  }
  const rows = await query.execute();
  const refunded = await refundedOn(ctx.store.db, rows.map((row) => Number(row.id)));
  return rows.map((row) => {
    const detail = JSON.parse(row.detail) as { method?: string; reference?: string };
    return {
      id: Number(row.id),
      accountId: row.account_id === null ? null : Number(row.account_id),
      username: row.username,
      provider: row.provider,
      providerPaymentId: row.provider_payment_id,
      currency: row.currency,
      amountMinor: Number(row.amount_minor),
      refundedMinor: refunded.get(Number(row.id)) ?? 0,
      status: row.status,
      flagReason: row.flag_reason,
      method: detail.method ?? row.provider,
      reference: detail.reference ?? row.provider_payment_id,
      orderReference: row.order_reference,
      periodStart: row.period_start === null ? null : Number(row.period_start),
      periodEnd: row.period_end === null ? null : Number(row.period_end),
      invoiceNumber: row.invoice_number,
      createdAt: Number(row.created_at),
    };
  });
}

export interface HistoryEntry {
  action: string;
  detail: Record<string, unknown>;
  at: number;
}

/** The subscription's story (started, renewed, upgraded, cancelled, resumed, payment failed, expired), newest first. */
export async function subscriptionHistory(ctx: DomainContext, accountId: number): Promise<HistoryEntry[]> {
  const events = await listAuditEvents(ctx.store.db, accountId, 500);
  return events
    .filter((e) => e.action.startsWith('subscription.'))
    .map((e) => ({ action: e.action.slice('subscription.'.length), detail: e.detail, at: e.createdAt.getTime() }));
}
