import Stripe from 'stripe';
import type { StripeSettings } from '../../billing/settings.ts';
import type { StripeGateway } from '../gateways.ts';
import type { Order } from '../orders.ts';

/**
 * The Stripe library configured from the settings: its API calls go to
 * Stripe, or to `apiUrl` (a local stand-in in the tests) through the
 * library's own host/port/protocol options. No retries: a failed call fails
 * the buyer's request, which they repeat.
 */
export function createStripeClient(settings: StripeSettings): Stripe {
  const options: Stripe.StripeConfig = { telemetry: false, maxNetworkRetries: 0, timeout: 20_000 };
  if (settings.apiUrl !== '') {
    const url = new URL(settings.apiUrl);
    options.host = url.hostname;
    options.port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    options.protocol = url.protocol === 'http:' ? 'http' : 'https';
  }
  return new Stripe(settings.secretKey, options);
}

/** Subscription metadata: the upgrade order that moved the renewals to a dearer plan. */
const UPGRADED_BY = 'upgraded_by';

function lineItem(order: Order): Stripe.Checkout.SessionCreateParams.LineItem {
  const product = { name: order.kind === 'upgrade' ? `rotki premium: upgrade to ${order.tierName}` : `rotki premium ${order.tierName}` };
  const base = { currency: order.breakdown.currency.toLowerCase(), unit_amount: order.breakdown.totalMinor, product_data: product };
  if (order.kind === 'upgrade') return { quantity: 1, price_data: base };
  return { quantity: 1, price_data: { ...base, recurring: { interval: order.period === 'yearly' ? 'year' : 'month' } } };
}

/**
 * What this server asks of Stripe: a Checkout Session per order (a
 * subscription that renews itself; a one-time payment for an upgrade), the
 * customer portal, switching renewal off and on, and moving the renewals to
 * an upgraded plan. The order reference
 * travels as `client_reference_id` and in the metadata of the session and
 * the subscription, so every later event finds its order.
 */
export function stripeGateway(stripe: Stripe, customerOf: (accountId: number) => Promise<string | null>): StripeGateway {
  return {
    async createCheckout(order, urls) {
      const customer = await customerOf(order.accountId);
      const metadata = { order: order.publicId };
      const session = await stripe.checkout.sessions.create({
        mode: order.kind === 'upgrade' ? 'payment' : 'subscription',
        client_reference_id: order.publicId,
        ...(customer === null ? { customer_email: order.buyer.email } : { customer }),
        line_items: [lineItem(order)],
        metadata,
        ...(order.kind === 'upgrade' ? { payment_intent_data: { metadata } } : { subscription_data: { metadata } }),
        success_url: urls.success,
        cancel_url: urls.cancel,
      });
      if (session.url === null) throw new Error('Stripe returned a Checkout Session without a URL');
      return { sessionId: session.id, url: session.url };
    },
    async portalUrl(customerId, returnUrl) {
      const portal = await stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl });
      return portal.url;
    },
    async renewalUpgradedBy(subscriptionId) {
      const subscription = await stripe.subscriptions.retrieve(subscriptionId);
      return subscription.metadata[UPGRADED_BY] ?? null;
    },
    async switchRenewalPlan(subscriptionId, renewal, upgradeReference) {
      const subscription = await stripe.subscriptions.retrieve(subscriptionId);
      const item = subscription.items.data[0];
      if (item === undefined) throw new Error(`Stripe subscription ${subscriptionId} has no item`);
      const product = typeof item.price.product === 'string' ? item.price.product : item.price.product.id;
      await stripe.subscriptions.update(subscriptionId, {
        items: [
          {
            id: item.id,
            price_data: {
              currency: renewal.breakdown.currency.toLowerCase(),
              product,
              unit_amount: renewal.breakdown.totalMinor,
              recurring: { interval: renewal.period === 'yearly' ? 'year' : 'month' },
            },
          },
        ],
        // The rest of this period was paid by the upgrade's own checkout, at this server's prorated price.
        proration_behavior: 'none',
        metadata: { order: renewal.publicId, [UPGRADED_BY]: upgradeReference },
      });
    },
    async setCancelAtPeriodEnd(subscriptionId, cancel, reason) {
      await stripe.subscriptions.update(subscriptionId, {
        cancel_at_period_end: cancel,
        ...(cancel && reason !== null ? { cancellation_details: { comment: reason } } : {}),
      });
    },
  };
}
