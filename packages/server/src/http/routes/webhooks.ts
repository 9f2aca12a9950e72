import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { DomainContext } from '../../domain/context.ts';
import type { StripeGateway } from '../../domain/payments/gateways.ts';
import { receiveStripeWebhook, WebhookSignatureError } from '../../domain/payments/stripe/webhook.ts';

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/** Stripe events are small; a generous cap still refuses a flood. */
const WEBHOOK_BODY_LIMIT = 512 * 1024;

const WEBHOOK_DOC = {
  summary: 'Stripe events (signed with the webhook secret in Stripe-Signature)',
  description: 'Each event is stored once with its outcome. 2xx: do not send again; 5xx: processing failed, send again.',
  body: z.object({ id: z.string(), type: z.string() }).loose().describe('A Stripe event'),
  response: {
    200: z.object({ received: z.literal(true), duplicate: z.boolean(), status: z.string() }),
    400: z.object({ error: z.string() }).describe('The signature does not match'),
    500: z.object({ error: z.string() }).describe('Processing failed: Stripe sends the event again'),
  },
};

export interface WebhookOptions {
  ctx: DomainContext;
  stripe: { client: Stripe; gateway: StripeGateway; webhookSecret: string };
}

/**
 * Payment providers call these. The signature is checked over the raw body
 * before anything else; 2xx tells the provider not to send the event again,
 * 5xx asks it to (processing failed, or it depends on an event not here yet).
 */
export async function webhookRoutes(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  const { ctx, stripe } = options;
  app.post(STRIPE_WEBHOOK_PATH, { schema: WEBHOOK_DOC, bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
    const header = request.headers['stripe-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    try {
      const delivered = await receiveStripeWebhook(ctx, stripe, stripe.webhookSecret, request.rawBody ?? Buffer.alloc(0), signature);
      request.log.info({ event: delivered.eventId, type: delivered.type, status: delivered.result.status, outcome: delivered.result.outcome }, 'stripe event');
      if (delivered.result.status === 'failed') return reply.code(500).send({ error: delivered.result.outcome });
      return { received: true, duplicate: delivered.duplicate, status: delivered.result.status };
    } catch (error) {
      if (error instanceof WebhookSignatureError) return reply.code(400).send({ error: `Invalid Stripe signature: ${error.message}` });
      throw error;
    }
  });
}
