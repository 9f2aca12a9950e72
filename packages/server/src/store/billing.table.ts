import type { Generated, Insertable, Selectable } from 'kysely';
import type { BillingPeriod } from '../domain/billing/settings.ts';

/** Tables of selling: prices, orders, payments, invoices and provider events. Timestamps are epoch milliseconds. */

/** A price of a tier for a period, valid from `valid_from` until a later row replaces it. */
export interface TierPriceTable {
  id: Generated<number>;
  tier_id: number;
  period: BillingPeriod;
  currency: string;
  amount_minor: number;
  valid_from: number;
}
export type TierPriceRow = Selectable<TierPriceTable>;

export type OrderKind = 'new' | 'renewal' | 'upgrade';
export type OrderMethod = 'bank_transfer' | 'card' | 'crypto' | 'operator';
export type OrderStatus = 'pending' | 'paid' | 'cancelled' | 'expired';

/** What a buyer asked to pay for, priced when it was placed (a later price change does not touch it). */
export interface OrderTable {
  id: Generated<number>;
  /** Random; in URLs, the Stripe session and the bank-transfer reference. */
  public_id: string;
  account_id: number;
  kind: OrderKind;
  tier_id: number;
  period: BillingPeriod;
  currency: string;
  net_minor: number;
  vat_minor: number;
  total_minor: number;
  /** Basis points. */
  vat_rate_bp: number;
  /** 0 or 1. */
  reverse_charge: number;
  /** JSON `Buyer`: the billing details when the order was placed. */
  buyer: string;
  method: OrderMethod;
  status: OrderStatus;
  /** The provider's handle: a Stripe Checkout Session or subscription id. */
  provider_ref: string | null;
  /** An upgrade covers the rest of the current period, until this moment. */
  upgrade_until: number | null;
  created_at: number;
  updated_at: number;
  paid_at: number | null;
}
export type OrderRow = Selectable<OrderTable>;
export type InsertableOrderRow = Insertable<OrderTable>;

export type PaymentProvider = 'manual' | 'stripe' | 'evm';
/** credited: applied to the subscription. flagged: kept for the operator (underpaid, late, unmatched). resolved: the operator dealt with it. */
export type PaymentStatus = 'credited' | 'flagged' | 'resolved';

/** Money received, once per (provider, provider payment id). */
export interface PaymentTable {
  id: Generated<number>;
  account_id: number | null;
  order_id: number | null;
  provider: PaymentProvider;
  /** Stripe invoice id, "chainId:txHash:logIndex", or the operator's reference. */
  provider_payment_id: string;
  currency: string;
  /** What it is worth in the operator's currency. */
  amount_minor: number;
  status: PaymentStatus;
  flag_reason: string | null;
  /** JSON: provider details (chain, token, base units; Stripe ids). */
  detail: string;
  period_start: number | null;
  period_end: number | null;
  created_at: number;
  resolved_at: number | null;
}
export type PaymentRow = Selectable<PaymentTable>;

/** Money paid back on a payment, recorded by an operator; never more in all than the payment brought in. */
export interface RefundTable {
  id: Generated<number>;
  payment_id: number;
  account_id: number | null;
  currency: string;
  amount_minor: number;
  reason: string;
  /** The operator who recorded it. */
  operator: string | null;
  created_at: number;
}
export type RefundRow = Selectable<RefundTable>;

export interface InvoiceSequenceTable {
  name: string;
  last_value: number;
}

/** An issued invoice: written once, never changed (the database refuses updates and deletes). */
export interface InvoiceTable {
  id: Generated<number>;
  sequence: number;
  number: string;
  payment_id: number;
  account_id: number | null;
  currency: string;
  net_minor: number;
  vat_minor: number;
  total_minor: number;
  issued_at: number;
  pdf: Buffer;
  sha256: string;
}
export type InvoiceRow = Selectable<InvoiceTable>;

export type ProviderEventStatus = 'received' | 'processed' | 'ignored' | 'failed';

/** Each event a provider sent, stored once, with what processing it did. */
export interface ProviderEventTable {
  id: Generated<number>;
  provider: string;
  event_id: string;
  type: string;
  /** The event as received (JSON text). */
  payload: string;
  /** When the provider says it happened. */
  occurred_at: number;
  received_at: number;
  status: ProviderEventStatus;
  /** One line for the operator: what it did, or why not. */
  outcome: string;
  attempts: number;
  processed_at: number | null;
}
export type ProviderEventRow = Selectable<ProviderEventTable>;

/** The provider's customer an account is (Stripe), so the customer portal opens on the right one. */
export interface PaymentCustomerTable {
  provider: string;
  customer_id: string;
  account_id: number;
  created_at: number;
}
