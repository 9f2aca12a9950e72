import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BILLING_PATHS,
  InvoiceNumberParam,
  OrderReferenceParam,
  OrderRequest,
  QuoteRequest,
  type HistoryResponse,
  type OrderResponse,
  type PaymentsResponse,
  type QuoteResponse,
} from '@rotki-premium/protocol/billing-api';
import type { WebSubscription } from '@rotki-premium/protocol/web-api';
import { getInvoicePdf } from '../../domain/billing/invoices.ts';
import { enabledPaymentMethods } from '../../domain/billing/settings.ts';
import type { DomainContext } from '../../domain/context.ts';
import { invalid } from '../../domain/errors.ts';
import type { PaymentGateways } from '../../domain/payments/gateways.ts';
import { resumeRenewal } from '../../domain/payments/lifecycle.ts';
import { placeOrder, quoteOrder, requireOwnOrder } from '../../domain/payments/orders.ts';
import { listPayments, subscriptionHistory } from '../../domain/payments/payment-list.ts';
import type { WebSession } from '../../domain/sessions.ts';
import { webHistoryEntry, webOrder, webPayment } from './billing-views.ts';
import { webSubscription } from './web-api-views.ts';

export interface BillingApiOptions {
  ctx: DomainContext;
  gateways: PaymentGateways;
}

/** Checkout bodies are a few fields. */
const BODY_LIMIT = 4 * 1024;

function route(path: string): string {
  return path.slice('/webapi'.length);
}

function accountOf(request: FastifyRequest): number {
  const session: WebSession | null = request.webSession;
  if (session === null) throw new Error('route reached without a session');
  return session.accountId;
}

/**
 * Checkout and billing for the logged-in subscriber. Registered inside the web
 * API plugin, so sessions, CSRF checks and error shapes are the web API's.
 */
export async function billingApiRoutes(app: FastifyInstance, options: BillingApiOptions): Promise<void> {
  const { ctx, gateways } = options;
  const required = { session: 'required' as const };

  app.post(route(BILLING_PATHS.quote), { bodyLimit: BODY_LIMIT, config: required }, async (request): Promise<QuoteResponse> => {
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

  app.post(route(BILLING_PATHS.orders), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<OrderResponse> => {
    const body = OrderRequest.parse(request.body ?? {});
    if (!enabledPaymentMethods(ctx.billing).includes(body.method)) {
      throw invalid('This payment method is not offered here: choose another one.');
    }
    const order = await placeOrder(ctx, accountOf(request), { tierName: body.tier, period: body.period, method: body.method });
    reply.code(201);
    return webOrder(order, ctx.billing);
  });

  app.get(`${route(BILLING_PATHS.orders)}/:reference`, { config: required }, async (request): Promise<OrderResponse> => {
    const { reference } = OrderReferenceParam.parse(request.params);
    return webOrder(await requireOwnOrder(ctx, accountOf(request), reference), ctx.billing);
  });

  app.post(route(BILLING_PATHS.resume), { config: required }, async (request): Promise<WebSubscription> => {
    return webSubscription(await resumeRenewal(ctx, gateways, accountOf(request)));
  });

  app.get(route(BILLING_PATHS.payments), { config: required }, async (request): Promise<PaymentsResponse> => {
    const payments = await listPayments(ctx, { accountId: accountOf(request) });
    return { payments: payments.map(webPayment) };
  });

  app.get(route(BILLING_PATHS.history), { config: required }, async (request): Promise<HistoryResponse> => {
    return { history: (await subscriptionHistory(ctx, accountOf(request))).map(webHistoryEntry) };
  });

  app.get(`${route(BILLING_PATHS.invoices)}/:number`, { config: required }, async (request, reply) => {
    const { number } = InvoiceNumberParam.parse(request.params);
    const invoice = await getInvoicePdf(ctx, number, accountOf(request));
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${invoice.number.replace(/[^A-Za-z0-9_-]/g, '_')}.pdf"`)
      .send(invoice.pdf);
  });
}
