import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BILLING_PATHS,
  CryptoQuoteRequest,
  CryptoTxRequest,
  CryptoTxResponse,
  OrderReferenceParam,
  OrderResponse,
} from '@rotki-premium/protocol/billing-api';
import { WebErrorCode } from '@rotki-premium/protocol/web-api';
import type { DomainContext } from '../../domain/context.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { checkTransaction, type TxCheck } from '../../domain/payments/evm/claim.ts';
import { createQuote, latestQuote, requireChainToken } from '../../domain/payments/evm/quotes.ts';
import type { EvmGateway } from '../../domain/payments/gateways.ts';
import { requireOwnOrder } from '../../domain/payments/orders.ts';
import type { WebSession } from '../../domain/sessions.ts';
import { WebApiError } from '../plugins/session.ts';
import { webRoute } from '../openapi/route-schema.ts';
import { orderView } from './billing-views.ts';

export interface CryptoApiOptions {
  ctx: DomainContext;
  evm: EvmGateway | null;
}

const BODY_LIMIT = 1024;

function accountOf(request: FastifyRequest): number {
  const session: WebSession | null = request.webSession;
  if (session === null) throw new Error('route reached without a session');
  return session.accountId;
}

const MESSAGES: Record<TxCheck['status'], string> = {
  credited: 'Payment received.',
  pending: 'Your payment is in a block; it counts once enough blocks follow it.',
  not_found: 'This transaction is not in a block of that network yet. If you just sent it, wait a moment and try again.',
  not_this_order: 'This transaction does not send what this order asks for to the address shown.',
  held: 'Your payment arrived but does not match the order; the operator will look at it.',
};

/** The node is the operator's: when it cannot be reached, say so with a 503, never a 500. */
async function fromNode<T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WebApiError || error instanceof DomainError) throw error;
    request.log.warn({ err: error }, 'EVM node call failed');
    throw new WebApiError(503, WebErrorCode.Internal, 'The payment network cannot be reached right now. Try again in a moment.');
  }
}

/**
 * Crypto checkout for the logged-in subscriber: a quote for a chain and token
 * (exact amount, address, EIP-681 link and QR code), and a pasted transaction
 * hash checked at once. Registered inside the web API plugin (sessions, CSRF).
 */
export async function cryptoApiRoutes(app: FastifyInstance, options: CryptoApiOptions): Promise<void> {
  const { ctx, evm } = options;
  const required = { session: 'required' as const };
  const orders = BILLING_PATHS.orders.slice('/webapi'.length);

  function gateway(chainId: number) {
    const reader = evm?.reader(chainId) ?? null;
    if (evm === null || reader === null) throw invalid('This network is not accepted here: choose one from the list.');
    return { reader, kick: () => evm.kick() };
  }

  app.post(
    `${orders}/:reference/crypto-quote`,
    {
      schema: webRoute({
        summary: 'A crypto quote for an order: exact amount, address, payment link and QR code for a chain and token',
        params: OrderReferenceParam,
        body: CryptoQuoteRequest,
        response: { 201: OrderResponse },
      }),
      bodyLimit: BODY_LIMIT,
      config: required,
    },
    async (request, reply): Promise<OrderResponse> => {
      const { reference } = OrderReferenceParam.parse(request.params);
      const body = CryptoQuoteRequest.parse(request.body ?? {});
      const order = await requireOwnOrder(ctx, accountOf(request), reference);
      const selection = requireChainToken(ctx, body.chainId, body.token);
      const { reader, kick } = gateway(body.chainId);
      const head = await fromNode(request, () => reader.head());
      await createQuote(ctx, order, selection, head);
      kick();
      reply.code(201);
      return orderView(ctx, order);
    },
  );

  app.post(
    `${orders}/:reference/crypto-tx`,
    {
      schema: webRoute({
        summary: 'Check a pasted transaction hash against the order at once',
        params: OrderReferenceParam,
        body: CryptoTxRequest,
        response: { 200: CryptoTxResponse },
      }),
      bodyLimit: BODY_LIMIT,
      config: required,
    },
    async (request): Promise<CryptoTxResponse> => {
      const { reference } = OrderReferenceParam.parse(request.params);
      const { txHash } = CryptoTxRequest.parse(request.body ?? {});
      const accountId = accountOf(request);
      const order = await requireOwnOrder(ctx, accountId, reference);
      const quote = await latestQuote(ctx.store.db, order.id);
      if (quote === null) throw invalid('Choose a network and token first.');
      const { reader } = gateway(quote.chainId);
      const check = await fromNode(request, () => checkTransaction(ctx, reader, order, txHash));
      const fresh = await requireOwnOrder(ctx, accountId, reference);
      return { status: check.status, message: MESSAGES[check.status], order: await orderView(ctx, fresh) };
    },
  );
}
