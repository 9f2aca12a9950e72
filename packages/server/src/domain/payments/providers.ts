import type Stripe from 'stripe';
import type { DomainContext } from '../context.ts';
import type { PaymentGateways } from './gateways.ts';
import { createStripeClient, stripeGateway } from './stripe/client.ts';

/** The payment providers the billing settings enable, opened once at start. */
export interface PaymentProviders {
  gateways: PaymentGateways;
  /** For the webhook: the client that checks signatures, and the endpoint's secret. */
  stripe: { client: Stripe; webhookSecret: string } | null;
}

/** The Stripe customer of an account, once a checkout created one. */
export async function stripeCustomerOf(ctx: DomainContext, accountId: number): Promise<string | null> {
  const row = await ctx.store.db
    .selectFrom('payment_customers')
    .select('customer_id')
    .where('provider', '=', 'stripe')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row?.customer_id ?? null;
}

export function openPaymentProviders(ctx: DomainContext): PaymentProviders {
  const settings = ctx.billing.stripe;
  if (settings === null) return { gateways: { stripe: null }, stripe: null };
  const client = createStripeClient(settings);
  return {
    gateways: { stripe: stripeGateway(client, (accountId) => stripeCustomerOf(ctx, accountId)) },
    stripe: { client, webhookSecret: settings.webhookSecret },
  };
}
