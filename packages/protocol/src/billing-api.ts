import { z } from 'zod';
import { multilineText, textLine } from './text.ts';

/**
 * Buying a subscription through the website's JSON API (session cookie +
 * CSRF header, like the rest of `/webapi`): plans and prices, checkout,
 * payments, invoices and the subscription's history. Amounts are integer
 * minor units of `currency` (cents); crypto amounts are decimal strings of
 * base units. Browser-safe: imports nothing but zod.
 */

export const BILLING_PATHS = {
  quote: '/webapi/billing/quote',
  orders: '/webapi/billing/orders',
  payments: '/webapi/billing/payments',
  history: '/webapi/billing/history',
  invoices: '/webapi/billing/invoices',
  resume: '/webapi/billing/resume',
  portal: '/webapi/billing/portal',
} as const;

export const BILLING_SITE_PATHS = {
  checkout: '/checkout',
  /** The success page a buyer returns to: `/checkout/orders/<reference>`. */
  order: '/checkout/orders',
} as const;

export function orderUrl(reference: string): string {
  return `${BILLING_PATHS.orders}/${encodeURIComponent(reference)}`;
}

/** A pending crypto order's quote: POST to get a new one for a chain and token. */
export function cryptoQuoteUrl(reference: string): string {
  return `${orderUrl(reference)}/crypto-quote`;
}

/** A pending crypto order: POST a transaction hash to have it checked now. */
export function cryptoTxUrl(reference: string): string {
  return `${orderUrl(reference)}/crypto-tx`;
}

export function invoiceUrl(number: string): string {
  return `${BILLING_PATHS.invoices}/${encodeURIComponent(number)}`;
}

export const BillingPeriod = z.enum(['monthly', 'yearly']);
export type BillingPeriod = z.infer<typeof BillingPeriod>;

export const PaymentMethod = z.enum(['card', 'crypto', 'bank_transfer']);
export type PaymentMethod = z.infer<typeof PaymentMethod>;

export const PlanPrices = z.object({
  /** null: not sold for this period. */
  monthly: z.number().int().nullable(),
  yearly: z.number().int().nullable(),
});
export type PlanPrices = z.infer<typeof PlanPrices>;

export const Breakdown = z.object({
  currency: z.string(),
  netMinor: z.number().int(),
  /** Basis points: 1900 = 19 %. */
  vatRateBp: z.number().int(),
  vatMinor: z.number().int(),
  totalMinor: z.number().int(),
  reverseCharge: z.boolean(),
});
export type Breakdown = z.infer<typeof Breakdown>;

export const OrderKind = z.enum(['new', 'renewal', 'upgrade']);

// Requests

export const QuoteRequest = z.object({ tier: textLine(z.string().trim().min(1).max(100)), period: BillingPeriod });
export type QuoteRequest = z.infer<typeof QuoteRequest>;

export const OrderRequest = QuoteRequest.extend({ method: PaymentMethod });
export type OrderRequest = z.infer<typeof OrderRequest>;

export const OrderReferenceParam = z.object({ reference: textLine(z.string().trim().min(1).max(40)) });

export const InvoiceNumberParam = z.object({ number: textLine(z.string().trim().min(1).max(40)) });

export const CancelRequest = z.object({
  /** Why the subscriber leaves; optional, kept for the operator. */
  reason: multilineText(z.string().trim().max(500)).optional(),
});
export type CancelRequest = z.infer<typeof CancelRequest>;

export const CryptoQuoteRequest = z.object({
  chainId: z.number().int().positive(),
  /** "native" or the token contract's address. */
  token: z.string().trim().min(1).max(64),
});
export type CryptoQuoteRequest = z.infer<typeof CryptoQuoteRequest>;

export const CryptoTxRequest = z.object({
  txHash: z
    .string()
    .trim()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'a transaction hash: 0x and 64 hexadecimal digits')
    .transform((h) => h.toLowerCase() as `0x${string}`),
});
export type CryptoTxRequest = z.infer<typeof CryptoTxRequest>;

// Responses

export const QuoteResponse = z.object({
  kind: OrderKind,
  tier: z.string(),
  period: BillingPeriod,
  breakdown: Breakdown,
  /** Methods the operator enabled, in the order to show them. */
  methods: z.array(PaymentMethod),
  /** An upgrade keeps the current period's end (ISO 8601). */
  upgradeUntil: z.string().nullable(),
});
export type QuoteResponse = z.infer<typeof QuoteResponse>;

export const OrderStatus = z.enum(['pending', 'paid', 'cancelled', 'expired']);

/** A chain and token the operator accepts. */
export const CryptoOption = z.object({
  chainId: z.number().int(),
  chainName: z.string(),
  /** "native" or the token contract's address in lower case. */
  token: z.string(),
  symbol: z.string(),
});
export type CryptoOption = z.infer<typeof CryptoOption>;

export const CryptoQuote = z.object({
  chainId: z.number().int(),
  chainName: z.string(),
  token: z.string(),
  /** The ERC-20 contract, or null for the chain's native coin. */
  tokenAddress: z.string().nullable(),
  symbol: z.string(),
  decimals: z.number().int(),
  /** Base units, exact: send this and nothing else. */
  amount: z.string(),
  /** The same as a decimal number of tokens: "214.200042". */
  amountText: z.string(),
  address: z.string(),
  /** EIP-681 payment request, also as a QR code (SVG data URL). */
  uri: z.string(),
  qrCode: z.string(),
  expiresAt: z.string(),
  expired: z.boolean(),
  confirmationsRequired: z.number().int(),
  /** A transfer for this order seen in a block not yet confirmed. */
  seen: z.object({ txHash: z.string(), confirmations: z.number().int() }).nullable(),
});
export type CryptoQuote = z.infer<typeof CryptoQuote>;

export const OrderCrypto = z.object({
  options: z.array(CryptoOption),
  quote: CryptoQuote.nullable(),
});
export type OrderCrypto = z.infer<typeof OrderCrypto>;

export const OrderResponse = z.object({
  reference: z.string(),
  kind: OrderKind,
  tier: z.string(),
  period: BillingPeriod,
  method: z.enum(['card', 'crypto', 'bank_transfer', 'operator']),
  status: OrderStatus,
  breakdown: Breakdown,
  createdAt: z.string(),
  paidAt: z.string().nullable(),
  /** Card: where to send the browser (the provider's payment page). */
  redirectUrl: z.string().nullable(),
  /** Bank transfer: where to send the money; the reference goes with it. */
  bankInstructions: z.string().nullable(),
  /** Crypto: the chains and tokens to choose from and the current quote; null for other methods. */
  crypto: OrderCrypto.nullable(),
});
export type OrderResponse = z.infer<typeof OrderResponse>;

export const WebPayment = z.object({
  id: z.number().int(),
  createdAt: z.string(),
  amountMinor: z.number().int(),
  /** Paid back so far (refunds the operator recorded against this payment); 0 when none. */
  refundedMinor: z.number().int(),
  currency: z.string(),
  method: z.string(),
  reference: z.string(),
  status: z.enum(['credited', 'flagged', 'resolved']),
  /** Held for the operator, or credited with a note (overpaid). */
  note: z.string().nullable(),
  periodEnd: z.string().nullable(),
  invoiceNumber: z.string().nullable(),
});
export type WebPayment = z.infer<typeof WebPayment>;

export const PaymentsResponse = z.object({ payments: z.array(WebPayment) });
export type PaymentsResponse = z.infer<typeof PaymentsResponse>;

export const HistoryEntry = z.object({
  /** started, renewed, upgraded, renewal_plan_changed, cancelled, resumed, payment_failed, expired, granted */
  action: z.string(),
  at: z.string(),
  tier: z.string().nullable(),
  until: z.string().nullable(),
  reason: z.string().nullable(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const HistoryResponse = z.object({ history: z.array(HistoryEntry) });
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export const CryptoTxResponse = z.object({
  /** credited: paid; pending: seen, waiting for confirmations; not_found: not in a block (yet); not_this_order: sends nothing this order asked for; held: kept for the operator. */
  status: z.enum(['credited', 'pending', 'not_found', 'not_this_order', 'held']),
  message: z.string(),
  order: OrderResponse,
});
export type CryptoTxResponse = z.infer<typeof CryptoTxResponse>;

export const PortalResponse = z.object({ url: z.string() });
export type PortalResponse = z.infer<typeof PortalResponse>;
