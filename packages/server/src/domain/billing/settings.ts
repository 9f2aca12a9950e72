/**
 * What the operator configured about selling: the currency, the seller on the
 * invoices, VAT, the grace period and the payment methods. Read once at start
 * (`config/billing-config.ts`) and passed to the domain in its context.
 */

export type BillingPeriod = 'monthly' | 'yearly';
export const BILLING_PERIODS: readonly BillingPeriod[] = ['monthly', 'yearly'];

export interface Seller {
  name: string;
  /** Street, town, …; one invoice line each. */
  address: string[];
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  vatId: string | null;
  email: string | null;
}

export interface VatSettings {
  /** Country (ISO alpha-2) → rate in basis points (1900 = 19 %). */
  rates: Record<string, number>;
  /** For a buyer whose country has no rate of its own (or who gave none). */
  defaultRateBp: number;
  /** EU business buyer with a VAT id in another member state: no VAT, "reverse charge" on the invoice. */
  euReverseCharge: boolean;
}

/** How an ERC-20 or native coin is valued in the operator's currency. */
export type TokenPrice =
  /** One token is one unit of the currency (a stablecoin of that currency). */
  | { kind: 'stable' }
  /** One token is worth `minorPerToken` minor units of the currency, as the operator set it. */
  | { kind: 'rate'; minorPerToken: number };

export interface EvmToken {
  symbol: string;
  /** null: the chain's native coin. */
  address: `0x${string}` | null;
  decimals: number;
  price: TokenPrice;
}

export interface EvmChain {
  chainId: number;
  name: string;
  rpcUrl: string;
  /** Where payments go (checksummed). */
  receivingAddress: `0x${string}`;
  /** Blocks on top of the payment's block before it counts. */
  confirmations: number;
  tokens: EvmToken[];
}

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Where the API calls go; empty: Stripe itself. A local stand-in in the tests. */
  apiUrl: string;
}

export interface BankTransferSettings {
  /** Shown with the order's reference: account holder, IBAN, BIC… */
  instructions: string;
}

export interface BillingSettings {
  /** ISO 4217, upper case: every price, order and invoice is in it. */
  currency: string;
  seller: Seller;
  /** null: no VAT is charged (prices are final). */
  vat: VatSettings | null;
  /** Invoice numbers are this prefix and a gapless sequence: INV-000001. */
  invoicePrefix: string;
  /** How long a subscription whose renewal failed stays active. */
  gracePeriodMs: number;
  /** How long before the end of a period the reminder (and "expiring") mail goes out. */
  reminderMs: number;
  /** How long a crypto quote is valid. */
  quoteValidityMs: number;
  bankTransfer: BankTransferSettings | null;
  stripe: StripeSettings | null;
  /** Crypto on EVM chains: the chains, and how often their nodes are asked for new blocks. */
  evm: { chains: EvmChain[]; pollMs: number } | null;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A fresh install: euros, no VAT, no payment provider (the operator records payments). */
export const DEFAULT_BILLING: BillingSettings = Object.freeze({
  currency: 'EUR',
  seller: { name: 'rotki premium', address: [], country: 'DE', vatId: null, email: null },
  vat: null,
  invoicePrefix: 'INV-',
  gracePeriodMs: 7 * DAY_MS,
  reminderMs: 7 * DAY_MS,
  quoteValidityMs: 30 * 60 * 1000,
  bankTransfer: null,
  stripe: null,
  evm: null,
});

export type PaymentMethod = 'bank_transfer' | 'card' | 'crypto';

/** The methods a buyer may choose, in the order the checkout shows them. */
export function enabledPaymentMethods(billing: BillingSettings): PaymentMethod[] {
  const methods: PaymentMethod[] = [];
  if (billing.stripe !== null) methods.push('card');
  if (billing.evm !== null && billing.evm.chains.length > 0) methods.push('crypto');
  if (billing.bankTransfer !== null) methods.push('bank_transfer');
  return methods;
}
