import type Stripe from 'stripe';
import type { DomainContext } from '../../context.ts';
import type { StripeGateway } from '../gateways.ts';
import { getProviderEvent, recordOutcome, storeEventOnce, type EventOutcome } from '../provider-events.ts';
import { processStripeEvent } from './events.ts';

export class WebhookSignatureError extends Error {}

export interface WebhookResult {
  eventId: string;
  type: string;
  /** Stored before and already done: nothing was processed again. */
  duplicate: boolean;
  result: EventOutcome;
}

async function processAndRecord(ctx: DomainContext, gateway: StripeGateway | null, storedId: number, event: Stripe.Event): Promise<EventOutcome> {
  let result: EventOutcome;
  try {
    result = await processStripeEvent(ctx, gateway, event);
  } catch (error) {
    result = { status: 'failed', outcome: `error: ${error instanceof Error ? error.message : String(error)}` };
  }
  await recordOutcome(ctx, storedId, result);
  return result;
}

/**
 * One webhook delivery: the signature is checked over the raw bytes first
 * (Stripe-Signature, with Stripe's tolerance for the timestamp), then the
 * event is stored once by its id and processed unless it was processed
 * before. A failed one is processed again when Stripe redelivers it.
 */
export async function receiveStripeWebhook(
  ctx: DomainContext,
  stripe: { client: Stripe; gateway: StripeGateway },
  webhookSecret: string,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<WebhookResult> {
  let event: Stripe.Event;
  try {
    if (signature === undefined || signature === '') throw new Error('no Stripe-Signature header');
    event = stripe.client.webhooks.constructEvent(rawBody, signature, webhookSecret);
  } catch (error) {
    throw new WebhookSignatureError(error instanceof Error ? error.message : 'bad signature');
  }
  const stored = await storeEventOnce(ctx, {
    provider: 'stripe',
    eventId: event.id,
    type: event.type,
    payload: rawBody.toString('utf8'),
    occurredAt: event.created * 1000,
  });
  if (!stored.fresh && (stored.status === 'processed' || stored.status === 'ignored')) {
    return { eventId: event.id, type: event.type, duplicate: true, result: { status: stored.status, outcome: 'delivered again; processed before' } };
  }
  return { eventId: event.id, type: event.type, duplicate: false, result: await processAndRecord(ctx, stripe.gateway, stored.id, event) };
}

/**
 * Processes a stored event again (the operator's Replay): safe whatever it did
 * before, since every domain event it leads to is applied once by its key.
 */
export async function replayStripeEvent(ctx: DomainContext, gateway: StripeGateway | null, id: number): Promise<EventOutcome> {
  const stored = await getProviderEvent(ctx, id);
  if (stored.provider !== 'stripe') throw new Error(`event ${id} is not a Stripe event`);
  return processAndRecord(ctx, gateway, id, JSON.parse(stored.payload) as Stripe.Event);
}
