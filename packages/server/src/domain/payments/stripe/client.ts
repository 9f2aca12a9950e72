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

function lineItem(order: Order): Stripe.Checkout.SessionCreateParams.LineItem {
  const product = { name: order.kind === 'upgrade' ? `rotki premium: upgrade to ${order.tierName}` : `rotki premium ${order.tierName}` };
  const base = { currency: order.breakdown.currency.toLowerCase(), unit_amount: order.breakdown.totalMinor, product_data: product };
  if (order.kind === 'upgrade') return { quantity: 1, price_data: base };
  return { quantity: 1, price_data: { ...base, recurring: { interval: order.period === 'yearly' ? 'year' : 'month' } } };
}

/**
 * What this server asks of Stripe: a Checkout Session per order (a
 * subscription that renews itself; a one-time payment for an upgrade), the
 * customer portal, and switching renewal off and on. The order reference
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
    async setCancelAtPeriodEnd(subscriptionId, cancel, reason) {
      await stripe.subscriptions.update(subscriptionId, {
        cancel_at_period_end: cancel,
        ...(cancel && reason !== null ? { cancellation_details: { comment: reason } } : {}),
      });
    },
  };
}
