import type { ProviderEventRow, ProviderEventStatus } from '../../store/billing.table.ts';
import type { DomainContext } from '../context.ts';
import { notFound } from '../errors.ts';

/**
 * Every event a payment provider sends is stored once, by its unique
 * (provider, event id), with what processing it did — so a replayed delivery
 * is recognised, a failed one can be processed again, and the operator sees
 * each event with its outcome.
 */

export interface IncomingEvent {
  provider: string;
  eventId: string;
  type: string;
  /** The event as received. */
  payload: string;
  occurredAt: number;
}

export interface StoredEvent {
  id: number;
  /** False when the event was stored before (a replay, or a retry of a failed one). */
  fresh: boolean;
  status: ProviderEventStatus;
}

/** Stores the event unless it is there already. */
export async function storeEventOnce(ctx: DomainContext, event: IncomingEvent): Promise<StoredEvent> {
  const now = ctx.clock.now();
  const inserted = await ctx.store.db
    .insertInto('provider_events')
    .values({
      provider: event.provider,
      event_id: event.eventId,
      type: event.type,
      payload: event.payload,
      occurred_at: event.occurredAt,
      received_at: now,
      status: 'received',
      outcome: '',
      attempts: 0,
      processed_at: null,
    })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
  if (inserted !== undefined) return { id: Number(inserted.id), fresh: true, status: inserted.status };
  const existing = await ctx.store.db
    .selectFrom('provider_events')
    .select(['id', 'status'])
    .where('provider', '=', event.provider)
    .where('event_id', '=', event.eventId)
    .executeTakeFirstOrThrow();
  return { id: Number(existing.id), fresh: false, status: existing.status };
}

/** What processing an event did: applied ('processed'), nothing to do ('ignored'), or an error to retry ('failed'). */
export interface EventOutcome {
  status: Exclude<ProviderEventStatus, 'received'>;
  outcome: string;
}

/**
 * Records what processing did. An event that was applied stays "processed":
 * a second processing (a delivery racing the first, or a replay) finds
 * everything applied and would only say "nothing to do".
 */
export async function recordOutcome(ctx: DomainContext, id: number, result: EventOutcome): Promise<void> {
  const now = ctx.clock.now();
  const { db } = ctx.store;
  await db.updateTable('provider_events').set((eb) => ({ attempts: eb('attempts', '+', 1), processed_at: now })).where('id', '=', id).execute();
  let update = db.updateTable('provider_events').set({ status: result.status, outcome: result.outcome.slice(0, 500) }).where('id', '=', id);
  if (result.status !== 'processed') update = update.where('status', '!=', 'processed');
  await update.execute();
}

export interface ProviderEvent {
  id: number;
  provider: string;
  eventId: string;
  type: string;
  occurredAt: number;
  receivedAt: number;
  status: ProviderEventStatus;
  outcome: string;
  attempts: number;
  processedAt: number | null;
}

function toProviderEvent(row: ProviderEventRow): ProviderEvent {
  return {
    id: Number(row.id),
    provider: row.provider,
    eventId: row.event_id,
    type: row.type,
    occurredAt: Number(row.occurred_at),
    receivedAt: Number(row.received_at),
    status: row.status,
    outcome: row.outcome,
    attempts: row.attempts,
    processedAt: row.processed_at === null ? null : Number(row.processed_at),
  };
}

/** Provider events, newest first: the operator console's list. */
export async function listProviderEvents(
  ctx: DomainContext,
  filter: { provider?: string; status?: ProviderEventStatus; limit?: number } = {},
): Promise<ProviderEvent[]> {
  let query = ctx.store.db.selectFrom('provider_events').selectAll().orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.provider !== undefined) query = query.where('provider', '=', filter.provider);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return (await query.execute()).map(toProviderEvent);
}

/** A stored event with its payload, for replaying it. */
export async function getProviderEvent(ctx: DomainContext, id: number): Promise<ProviderEvent & { payload: string }> {
  const row = await ctx.store.db.selectFrom('provider_events').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw notFound(`No provider event ${id}`);
  return { ...toProviderEvent(row), payload: row.payload };
}
