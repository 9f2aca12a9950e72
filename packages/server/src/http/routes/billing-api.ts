import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BILLING_PATHS,
  BILLING_SITE_PATHS,
  InvoiceNumberParam,
  OrderReferenceParam,
  HistoryResponse,
  OrderRequest,
  OrderResponse,
  PaymentsResponse,
  PortalResponse,
  QuoteRequest,
  QuoteResponse,
} from '@rotki-premium/protocol/billing-api';
import { SITE_PATHS, WebErrorCode, WebSubscription } from '@rotki-premium/protocol/web-api';
import { getInvoicePdf } from '../../domain/billing/invoices.ts';
import { enabledPaymentMethods } from '../../domain/billing/settings.ts';
import type { DomainContext } from '../../domain/context.ts';
import { invalid } from '../../domain/errors.ts';
import type { PaymentGateways } from '../../domain/payments/gateways.ts';
import { resumeRenewal } from '../../domain/payments/lifecycle.ts';
import { closeOrder, placeOrder, quoteOrder, requireOwnOrder, setOrderProviderRef } from '../../domain/payments/orders.ts';
import { stripeCustomerOf } from '../../domain/payments/providers.ts';
import { currentSubscription } from '../../domain/subscriptions.ts';
import { WebApiError } from '../plugins/session.ts';
import { contentResponse, webRoute } from '../openapi/route-schema.ts';
import { listPayments, subscriptionHistory } from '../../domain/payments/payment-list.ts';
import type { WebSession } from '../../domain/sessions.ts';
import { orderView, webHistoryEntry, webPayment } from './billing-views.ts';
import { cryptoApiRoutes } from './crypto-api.ts';
import { webSubscription } from './web-api-views.ts';
import { route } from './web-api-request.ts';

export interface BillingApiOptions {
  ctx: DomainContext;
  gateways: PaymentGateways;
}

/** Checkout bodies are a few fields. */
const BODY_LIMIT = 4 * 1024;

function accountOf(request: FastifyRequest): number {
  const session: WebSession | null = request.webSession;
  if (session === null) throw new Error('route reached without a session');
  return session.accountId;
}

/**
 * A card subscription renews itself at Stripe, at its own price: it is not
 * renewed by hand. It moves to a dearer plan by card (the rest of the period
 * now, then the renewals at the new plan's price); a cheaper plan waits for
 * the period to end, as for everyone.
 */
async function refuseOrderBesideCardSubscription(ctx: DomainContext, accountId: number, tierName: string, method: string): Promise<void> {
  const current = await currentSubscription(ctx, accountId);
  if (current?.isActive !== true || current.provider !== 'stripe') return;
  if (current.tier.name.toLowerCase() === tierName.trim().toLowerCase()) {
    throw invalid('Your card subscription renews by itself: there is nothing to pay now.');
  }
  if (method !== 'card') throw invalid('A card subscription changes plan by card: choose Card to upgrade.');
}

/**
 * Checkout and billing for the logged-in subscriber. Registered inside the web
 * API plugin, so sessions, CSRF checks and error shapes are the web API's.
 */
export async function billingApiRoutes(app: FastifyInstance, options: BillingApiOptions): Promise<void> {
  const { ctx, gateways } = options;
  const required = { session: 'required' as const };
  await app.register(cryptoApiRoutes, { ctx, evm: gateways.evm });

  app.post(route(BILLING_PATHS.quote), { schema: webRoute({ summary: 'The price breakdown of a plan and period, and the payment methods', body: QuoteRequest, response: { 200: QuoteResponse } }), bodyLimit: BODY_LIMIT, config: required }, async (request): Promise<QuoteResponse> => {
    const body = QuoteRequest.parse(request.body ?? {});
    const quote = await quoteOrder(ctx, accountOf(request), body.tier, body.period);
    const { vatNote: _note, ...breakdown } = quote.breakdown;
    return {
      kind: quote.kind,
      tier: quote.tier.name,
      period: quote.period,
      breakdown,
      methods: enabledPaymentMethods(ctx.billing),
      upgradeUntil: quote.upgradeUntil === null ? null : new Date(quote.upgradeUntil).toISOString(),
    };
  });

  app.post(route(BILLING_PATHS.orders), { schema: webRoute({ summary: 'Place an order (card: with the payment page to send the browser to)', body: OrderRequest, response: { 201: OrderResponse } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<OrderResponse> => {
    const body = OrderRequest.parse(request.body ?? {});
    if (!enabledPaymentMethods(ctx.billing).includes(body.method)) {
      throw invalid('This payment method is not offered here: choose another one.');
    }
    const accountId = accountOf(request);
    await refuseOrderBesideCardSubscription(ctx, accountId, body.tier, body.method);
    const order = await placeOrder(ctx, accountId, { tierName: body.tier, period: body.period, method: body.method });
    reply.code(201);
    if (body.method !== 'card') return orderView(ctx, order);
    const stripe = gateways.stripe;
    if (stripe === null) throw invalid('Card payments are not offered here.');
    let checkout: { sessionId: string; url: string };
    try {
      checkout = await stripe.createCheckout(order, {
        success: `${ctx.siteUrl}${BILLING_SITE_PATHS.order}/${order.publicId}`,
        cancel: `${ctx.siteUrl}${BILLING_SITE_PATHS.checkout}?tier=${encodeURIComponent(order.tierName)}&period=${order.period}`,
      });
    } catch (error) {
      request.log.warn({ err: error, order: order.publicId }, 'Stripe checkout could not be created');
      await closeOrder(ctx.store.db, order.id, 'cancelled', ctx.clock.now());
      throw new WebApiError(503, WebErrorCode.Internal, 'The card payment page cannot be opened right now. Try again in a moment.');
    }
    await setOrderProviderRef(ctx.store.db, order.id, checkout.sessionId, ctx.clock.now());
    return orderView(ctx, order, checkout.url);
  });

  app.post(route(BILLING_PATHS.portal), { schema: webRoute({ summary: 'The card provider\'s customer portal', response: { 200: PortalResponse } }), config: required }, async (request): Promise<PortalResponse> => {
    const customer = await stripeCustomerOf(ctx, accountOf(request));
    if (gateways.stripe === null || customer === null) throw invalid('You have no card on file here.');
    try {
      return { url: await gateways.stripe.portalUrl(customer, `${ctx.siteUrl}${SITE_PATHS.subscription}`) };
    } catch (error) {
      request.log.warn({ err: error }, 'Stripe portal could not be opened');
      throw new WebApiError(503, WebErrorCode.Internal, 'The card portal cannot be opened right now. Try again in a moment.');
    }
  });

  app.get(`${route(BILLING_PATHS.orders)}/:reference`, { schema: webRoute({ summary: 'One of the subscriber\'s orders', params: OrderReferenceParam, response: { 200: OrderResponse } }), config: required }, async (request): Promise<OrderResponse> => {
    const { reference } = OrderReferenceParam.parse(request.params);
    return orderView(ctx, await requireOwnOrder(ctx, accountOf(request), reference));
  });

  app.post(route(BILLING_PATHS.resume), { schema: webRoute({ summary: 'Resume renewal of a cancelled subscription', response: { 200: WebSubscription } }), config: required }, async (request): Promise<WebSubscription> => {
    return webSubscription(await resumeRenewal(ctx, gateways, accountOf(request)));
  });

  app.get(route(BILLING_PATHS.payments), { schema: webRoute({ summary: 'The subscriber\'s payments, newest first', response: { 200: PaymentsResponse } }), config: required }, async (request): Promise<PaymentsResponse> => {
    const payments = await listPayments(ctx, { accountId: accountOf(request) });
    return { payments: payments.map(webPayment) };
  });

  app.get(route(BILLING_PATHS.history), { schema: webRoute({ summary: 'The subscription\'s history', response: { 200: HistoryResponse } }), config: required }, async (request): Promise<HistoryResponse> => {
    return { history: (await subscriptionHistory(ctx, accountOf(request))).map(webHistoryEntry) };
  });

  app.get(`${route(BILLING_PATHS.invoices)}/:number`, { schema: webRoute({ summary: 'An invoice as PDF', params: InvoiceNumberParam, response: { 200: contentResponse('The invoice', 'application/pdf') } }), config: required }, async (request, reply) => {
    const { number } = InvoiceNumberParam.parse(request.params);
    const invoice = await getInvoicePdf(ctx, number, accountOf(request));
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${invoice.number.replace(/[^A-Za-z0-9_-]/g, '_')}.pdf"`)
      .send(invoice.pdf);
  });
}
