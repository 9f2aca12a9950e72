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
  /** The upgrade order whose plan the subscription renews at now, if one moved it (null: the plan it was bought at). */
  renewalUpgradedBy(subscriptionId: string): Promise<string | null>;
  /**
   * From the next renewal on, charge `renewal`'s price for its plan, and let
   * the renewals pay that order; nothing is charged now (the upgrade for the
   * rest of the period was paid on its own).
   */
  switchRenewalPlan(subscriptionId: string, renewal: Order, upgradeReference: string): Promise<void>;
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
