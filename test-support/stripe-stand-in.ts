import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Stripe from 'stripe';

/**
 * A local stand-in for the few Stripe API calls this server makes — create a
 * Checkout Session, a customer-portal session, retrieve and update a
 * subscription (renewal on or off; its price and metadata) — that
 * follows Stripe's documented request (form-encoded, bearer key) and response
 * shapes. The server's Stripe library is pointed at it with its own
 * host/port/protocol options; nothing reaches Stripe. It also plays Stripe's
 * side afterwards: it builds the events Stripe would send (checkout
 * completed, invoice paid or failed, subscription updated or deleted) and
 * delivers them signed with Stripe's own `generateTestHeaderString`.
 */

export const TEST_SECRET_KEY = 'sk_test_standin_0123456789';
export const TEST_WEBHOOK_SECRET = 'whsec_standin_0123456789abcdef';

type Json = Record<string, unknown>;

interface Session {
  id: string;
  mode: 'subscription' | 'payment';
  clientReferenceId: string;
  amount: number;
  currency: string;
  interval: 'month' | 'year' | null;
  metadata: Record<string, string>;
  customer: string | null;
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
}

export interface StandInSubscription {
  id: string;
  customer: string;
  metadata: Record<string, string>;
  /** Its one item, and the product the checkout created for it. */
  itemId: string;
  product: string;
  /** What each period costs, in minor units. */
  amount: number;
  currency: string;
  interval: 'month' | 'year';
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  comment: string | null;
  /** The proration_behavior of the last price change (Stripe prorates unless told not to). */
  prorationBehavior: string | null;
}

export interface ApiCall {
  method: string;
  path: string;
  params: Json;
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** `a[b][0][c]=1` → { a: { b: [ { c: '1' } ] } }, as Stripe reads form bodies. */
export function parseStripeForm(body: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1] ?? '');
      const container = node as Record<string, unknown>;
      if (last) container[part] = value;
      else {
        container[part] ??= nextIsIndex ? [] : {};
        node = container[part] as Record<string, unknown>;
      }
    });
  }
  return root;
}

function addInterval(seconds: number, interval: 'month' | 'year'): number {
  const date = new Date(seconds * 1000);
  if (interval === 'year') date.setUTCFullYear(date.getUTCFullYear() + 1);
  else date.setUTCMonth(date.getUTCMonth() + 1);
  return Math.floor(date.getTime() / 1000);
}

export class StripeStandIn {
  readonly url: string;
  readonly calls: ApiCall[] = [];
  readonly sessions = new Map<string, Session>();
  readonly subscriptions = new Map<string, StandInSubscription>();
  /** Answer every API call with this status (Stripe being down). */
  failWith: number | null = null;
  readonly #server: ReturnType<typeof createServer>;
  readonly #signer = new Stripe(TEST_SECRET_KEY);

  private constructor(server: ReturnType<typeof createServer>, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(): Promise<StripeStandIn> {
    const started: { standIn?: StripeStandIn } = {};
    const server = createServer((request, response) => {
      void started.standIn?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    started.standIn = new StripeStandIn(server, `http://127.0.0.1:${port}`);
    return started.standIn;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  private send(response: ServerResponse, status: number, body: Json | string, type = 'application/json'): void {
    response.writeHead(status, { 'content-type': type, 'request-id': id('req') });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    // The hosted pages a browser is sent to.
    const pay = /^\/c\/pay\/(cs_\w+)$/.exec(path);
    if (request.method === 'GET' && pay?.[1] !== undefined) {
      const session = this.sessions.get(pay[1]);
      if (session === undefined) return this.send(response, 404, 'no such session', 'text/plain');
      return this.send(
        response,
        200,
        `<!doctype html><html lang="en"><title>Test card payment</title><main><h1>Test card payment</h1><p>${(session.amount / 100).toFixed(2)} ${session.currency.toUpperCase()}</p><a id="pay" href="${session.successUrl}">Pay</a> <a href="${session.cancelUrl}">Cancel</a></main></html>`,
        'text/html; charset=utf-8',
      );
    }
    if (request.method === 'GET' && path.startsWith('/p/session/')) {
      return this.send(response, 200, '<!doctype html><title>Customer portal</title><h1>Customer portal</h1>', 'text/html; charset=utf-8');
    }
    const params = parseStripeForm(Buffer.concat(chunks).toString('utf8'));
    this.calls.push({ method: request.method ?? '', path, params });
    if (request.headers.authorization !== `Bearer ${TEST_SECRET_KEY}`) {
      return this.send(response, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    if (this.failWith !== null) return this.send(response, this.failWith, { error: { type: 'api_error', message: 'Stand-in told to fail' } });
    if (request.method === 'POST' && path === '/v1/checkout/sessions') return this.send(response, 200, this.createSession(params));
    if (request.method === 'POST' && path === '/v1/billing_portal/sessions') {
      const portal = id('bps');
      return this.send(response, 200, {
        id: portal,
        object: 'billing_portal.session',
        customer: params.customer,
        return_url: params.return_url,
        url: `${this.url}/p/session/${portal}`,
      });
    }
    const update = /^\/v1\/subscriptions\/(sub_\w+)$/.exec(path);
    if ((request.method === 'POST' || request.method === 'GET') && update?.[1] !== undefined) {
      const subscription = this.subscriptions.get(update[1]);
      if (subscription === undefined) {
        return this.send(response, 404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such subscription: '${update[1]}'` } });
      }
      if (request.method === 'GET') return this.send(response, 200, this.subscriptionObject(subscription));
      const items = params.items as Json[] | undefined;
      if (items !== undefined) {
        const item = items[0] ?? {};
        const price = item.price_data as Json | undefined;
        if (items.length !== 1 || item.id !== subscription.itemId || price === undefined || price.product !== subscription.product) {
          return this.send(response, 400, { error: { type: 'invalid_request_error', message: 'items[0] must name the subscription item and its product' } });
        }
        if (params.proration_behavior === undefined) {
          return this.send(response, 400, { error: { type: 'invalid_request_error', message: 'the stand-in only changes a price with an explicit proration_behavior' } });
        }
        subscription.amount = Number(price.unit_amount);
        subscription.currency = String(price.currency);
        subscription.interval = (price.recurring as Json | undefined)?.interval === 'year' ? 'year' : 'month';
        subscription.prorationBehavior = String(params.proration_behavior);
      }
      if (params.metadata !== undefined) subscription.metadata = { ...subscription.metadata, ...(params.metadata as Record<string, string>) };
      if (params.cancel_at_period_end !== undefined) subscription.cancelAtPeriodEnd = params.cancel_at_period_end === 'true';
      const details = params.cancellation_details as Json | undefined;
      subscription.comment = typeof details?.comment === 'string' ? details.comment : subscription.cancelAtPeriodEnd ? subscription.comment : null;
      return this.send(response, 200, this.subscriptionObject(subscription));
    }
    return this.send(response, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method}: ${path})` } });
  }

  private createSession(params: Json): Json {
    const item = (params.line_items as Json[])[0] as Json;
    const price = item.price_data as Json;
    const recurring = price.recurring as Json | undefined;
    const session: Session = {
      id: id('cs_test'),
      mode: params.mode === 'payment' ? 'payment' : 'subscription',
      clientReferenceId: String(params.client_reference_id),
      amount: Number(price.unit_amount) * Number(item.quantity ?? 1),
      currency: String(price.currency),
      interval: recurring === undefined ? null : recurring.interval === 'year' ? 'year' : 'month',
      metadata: (params.metadata as Record<string, string> | undefined) ?? {},
      customer: typeof params.customer === 'string' ? params.customer : null,
      customerEmail: typeof params.customer_email === 'string' ? params.customer_email : null,
      successUrl: String(params.success_url),
      cancelUrl: String(params.cancel_url),
    };
    this.sessions.set(session.id, session);
    return { ...this.sessionObject(session, null, null), url: `${this.url}/c/pay/${session.id}` };
  }

  private sessionObject(session: Session, subscription: StandInSubscription | null, invoice: string | null): Json {
    return {
      id: session.id,
      object: 'checkout.session',
      mode: session.mode,
      client_reference_id: session.clientReferenceId,
      customer: subscription?.customer ?? session.customer,
      customer_email: session.customerEmail,
      amount_total: session.amount,
      currency: session.currency,
      metadata: session.metadata,
      payment_status: subscription === null && invoice === null ? 'unpaid' : 'paid',
      status: subscription === null && invoice === null ? 'open' : 'complete',
      subscription: subscription?.id ?? null,
      invoice,
      payment_intent: session.mode === 'payment' ? invoice : null,
      success_url: session.successUrl,
      cancel_url: session.cancelUrl,
      url: null,
    };
  }

  private subscriptionObject(subscription: StandInSubscription, endedAt: number | null = null): Json {
    return {
      id: subscription.id,
      object: 'subscription',
      customer: subscription.customer,
      status: endedAt === null ? 'active' : 'canceled',
      cancel_at_period_end: subscription.cancelAtPeriodEnd,
      cancellation_details: { comment: subscription.comment, feedback: null, reason: subscription.cancelAtPeriodEnd ? 'cancellation_requested' : null },
      ended_at: endedAt,
      metadata: subscription.metadata,
      items: {
        object: 'list',
        data: [
          {
            id: subscription.itemId,
            object: 'subscription_item',
            current_period_start: subscription.periodStart,
            current_period_end: subscription.periodEnd,
            price: {
              id: id('price'),
              object: 'price',
              product: subscription.product,
              currency: subscription.currency,
              unit_amount: subscription.amount,
              recurring: { interval: subscription.interval, interval_count: 1 },
            },
          },
        ],
      },
    };
  }

  private invoiceObject(subscription: StandInSubscription, invoiceId: string, reason: string, paid: boolean): Json {
    return {
      id: invoiceId,
      object: 'invoice',
      customer: subscription.customer,
      amount_paid: paid ? subscription.amount : 0,
      amount_due: subscription.amount,
      currency: subscription.currency,
      billing_reason: reason,
      status: paid ? 'paid' : 'open',
      lines: {
        object: 'list',
        data: [
          {
            id: id('il'),
            object: 'line_item',
            amount: subscription.amount,
            period: { start: subscription.periodStart, end: subscription.periodEnd },
          },
        ],
      },
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { metadata: subscription.metadata, subscription: subscription.id },
      },
    };
  }

  /** A Stripe event around `object`, as its webhook body. */
  event(type: string, object: Json, createdSeconds = Math.floor(Date.now() / 1000)): Json {
    return {
      id: id('evt'),
      object: 'event',
      api_version: '2026-10-28.endive',
      created: createdSeconds,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  /**
   * The buyer paid on the hosted page: Stripe creates the customer, the
   * subscription and its first invoice, and sends these events.
   */
  complete(sessionId: string, nowSeconds = Math.floor(Date.now() / 1000)): { subscription: StandInSubscription | null; events: Json[] } {
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new Error(`no session ${sessionId}`);
    const customer = session.customer ?? id('cus');
    const invoiceId = id('in');
    if (session.mode === 'payment' || session.interval === null) {
      session.customer = customer;
      return { subscription: null, events: [this.event('checkout.session.completed', this.sessionObject(session, null, invoiceId), nowSeconds)] };
    }
    const subscription: StandInSubscription = {
      id: id('sub'),
      customer,
      metadata: { ...session.metadata },
      itemId: id('si'),
      product: id('prod'),
      amount: session.amount,
      currency: session.currency,
      interval: session.interval,
      periodStart: nowSeconds,
      periodEnd: addInterval(nowSeconds, session.interval),
      cancelAtPeriodEnd: false,
      comment: null,
      prorationBehavior: null,
    };
    this.subscriptions.set(subscription.id, subscription);
    return {
      subscription,
      events: [
        this.event('checkout.session.completed', this.sessionObject(session, subscription, invoiceId), nowSeconds),
        this.event('invoice.paid', this.invoiceObject(subscription, invoiceId, 'subscription_create', true), nowSeconds),
      ],
    };
  }

  /** The next period is charged: paid, or failed. */
  renew(subscriptionId: string, outcome: 'paid' | 'failed', nowSeconds = Math.floor(Date.now() / 1000)): Json {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) throw new Error(`no subscription ${subscriptionId}`);
    const next = { ...subscription, periodStart: subscription.periodEnd, periodEnd: addInterval(subscription.periodEnd, subscription.interval) };
    if (outcome === 'paid') {
      subscription.periodStart = next.periodStart;
      subscription.periodEnd = next.periodEnd;
    }
    return this.event(
      outcome === 'paid' ? 'invoice.paid' : 'invoice.payment_failed',
      this.invoiceObject(next, id('in'), 'subscription_cycle', outcome === 'paid'),
      nowSeconds,
    );
  }

  /** customer.subscription.updated with the subscription as it is now. */
  updated(subscriptionId: string, createdSeconds = Math.floor(Date.now() / 1000)): Json {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) throw new Error(`no subscription ${subscriptionId}`);
    return this.event('customer.subscription.updated', this.subscriptionObject(subscription), createdSeconds);
  }

  /** Stripe gave up (or the cancelled period ended): customer.subscription.deleted. */
  deleted(subscriptionId: string, nowSeconds = Math.floor(Date.now() / 1000)): Json {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) throw new Error(`no subscription ${subscriptionId}`);
    return this.event('customer.subscription.deleted', this.subscriptionObject(subscription, nowSeconds), nowSeconds);
  }

  /** Posts `event` to the server's webhook, signed as Stripe signs it (or with `secret`). */
  async deliver(serverUrl: string, event: Json, secret = TEST_WEBHOOK_SECRET): Promise<{ status: number; json: Json }> {
    const payload = JSON.stringify(event);
    const header = this.#signer.webhooks.generateTestHeaderString({ payload, secret });
    const response = await fetch(`${serverUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
      body: payload,
    });
    return { status: response.status, json: (await response.json()) as Json };
  }
}
