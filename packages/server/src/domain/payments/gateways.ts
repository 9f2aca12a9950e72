import type { ChainReader } from './evm/chain-reader.ts';
import type { Order } from './orders.ts';

/**
 * The calls this server makes to payment providers, behind one interface per
 * provider so the domain states what it needs and the provider modules say
 * how. Built once at start from the billing settings; null when not enabled.
 */
export interface StripeGateway {
  /** A hosted payment page for `order`; returns where to send the buyer. */
  createCheckout(order: Order, urls: { success: string; cancel: string }): Promise<{ sessionId: string; url: string }>;
  /** The customer portal, where a subscriber changes the card. */
  portalUrl(customerId: string, returnUrl: string): Promise<string>;
  /** Stops (or restarts) renewal at the end of the current period. */
  setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean, reason: string | null): Promise<void>;
}

/** The operator's EVM nodes, and the watcher that scans them. */
export interface EvmGateway {
  reader(chainId: number): ChainReader | null;
  /** Asks the watcher to scan now (a new quote, a pasted transaction). */
  kick(): void;
}

export interface PaymentGateways {
  stripe: StripeGateway | null;
  evm: EvmGateway | null;
}

export const NO_GATEWAYS: PaymentGateways = Object.freeze({ stripe: null, evm: null });
