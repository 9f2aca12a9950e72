import type { DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { NO_GATEWAYS, type PaymentGateways } from './gateways.ts';
import { getProviderEvent, type EventOutcome } from './provider-events.ts';
import { replayStripeEvent } from './stripe/webhook.ts';

/**
 * Processes a stored provider event again (the operator's Replay button or
 * `admin events replay`): safe whatever it did before, because every domain
 * event it leads to is applied once by its own key. `gateways`: for the calls
 * to the provider an event leads to (moving a card renewal to an upgraded plan).
 */
export async function replayProviderEvent(ctx: DomainContext, id: number, gateways: PaymentGateways = NO_GATEWAYS): Promise<EventOutcome> {
  const event = await getProviderEvent(ctx, id);
  if (event.provider === 'stripe') return replayStripeEvent(ctx, gateways.stripe, id);
  throw invalid(`Events of ${event.provider} cannot be replayed`);
}
