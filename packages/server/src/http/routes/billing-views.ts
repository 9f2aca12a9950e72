import type { HistoryEntry, OrderResponse, WebPayment } from '@rotki-premium/protocol/billing-api';
import type { BillingSettings } from '../../domain/billing/settings.ts';
import type { DomainContext } from '../../domain/context.ts';
import type { Order } from '../../domain/payments/orders.ts';
import { orderCrypto } from './crypto-views.ts';
import type { HistoryEntry as DomainHistoryEntry, PaymentView } from '../../domain/payments/payment-list.ts';

/** Billing values in the website's JSON shapes. */

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The order as the website shows it, with its crypto quote when paid in crypto. */
export async function orderView(ctx: DomainContext, order: Order, redirectUrl: string | null = null): Promise<OrderResponse> {
  return { ...webOrder(order, ctx.billing, redirectUrl), crypto: await orderCrypto(ctx, order) };
}

function webOrder(order: Order, billing: BillingSettings, redirectUrl: string | null): Omit<OrderResponse, 'crypto'> {
  const { vatNote: _note, ...breakdown } = order.breakdown;
  return {
    reference: order.publicId,
    kind: order.kind,
    tier: order.tierName,
    period: order.period,
    method: order.method,
    status: order.status,
    breakdown,
    createdAt: new Date(order.createdAt).toISOString(),
    paidAt: iso(order.paidAt),
    redirectUrl,
    bankInstructions: order.method === 'bank_transfer' ? (billing.bankTransfer?.instructions ?? null) : null,
  };
}

export function webPayment(payment: PaymentView): WebPayment {
  return {
    id: payment.id,
    createdAt: new Date(payment.createdAt).toISOString(),
    amountMinor: payment.amountMinor,
    refundedMinor: payment.refundedMinor,
    currency: payment.currency,
    method: payment.method,
    reference: payment.reference,
    status: payment.status,
    note: payment.flagReason,
    periodEnd: iso(payment.periodEnd),
    invoiceNumber: payment.invoiceNumber,
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function webHistoryEntry(entry: DomainHistoryEntry): HistoryEntry {
  return {
    action: entry.action,
    at: new Date(entry.at).toISOString(),
    tier: text(entry.detail.tier),
    until: text(entry.detail.until) ?? text(entry.detail.active_until),
    reason: text(entry.detail.reason),
  };
}
