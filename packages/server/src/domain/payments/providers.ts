import type Stripe from 'stripe';
import type { DomainContext } from '../context.ts';
import type { ChainWatcher } from './evm/watcher.ts';
import type { EvmGateway, PaymentGateways, StripeGateway } from './gateways.ts';

/** The payment providers the billing settings enable, opened once at start. */
export interface PaymentProviders {
  gateways: PaymentGateways;
  /** For the webhook: the client that checks signatures, the calls events lead to, and the endpoint's secret. */
  stripe: { client: Stripe; gateway: StripeGateway; webhookSecret: string } | null;
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

async function evmGateway(ctx: DomainContext, watcher: ChainWatcher | undefined): Promise<EvmGateway | null> {
  if (ctx.billing.evm === null) return null;
  // viem loads only when chains are configured.
  const readers = watcher?.readers ?? (await import('./evm/viem-reader.ts')).openChainReaders(ctx);
  return { reader: (chainId) => readers.get(chainId) ?? null, kick: () => watcher?.kick() };
}

/** The providers the settings enable; `watcher`: the chain watcher this instance runs, when crypto is on. */
export async function openPaymentProviders(ctx: DomainContext, watcher?: ChainWatcher): Promise<PaymentProviders> {
  const evm = await evmGateway(ctx, watcher);
  const settings = ctx.billing.stripe;
  if (settings === null) return { gateways: { stripe: null, evm }, stripe: null };
  // The Stripe library (0.7 MB) loads only when card payments are configured.
  const { createStripeClient, stripeGateway } = await import('./stripe/client.ts');
  const client = createStripeClient(settings);
  const gateway = stripeGateway(client, (accountId) => stripeCustomerOf(ctx, accountId));
  return { gateways: { stripe: gateway, evm }, stripe: { client, gateway, webhookSecret: settings.webhookSecret } };
}
