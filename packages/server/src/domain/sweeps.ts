import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Store } from '../store/database.ts';
import type { DomainContext } from './context.ts';

/** Rows removed per statement: a few milliseconds of work, so no request waits behind a sweep for long. */
export const SWEEP_BATCH = 1000;

/** The tables a sweep removes old rows from, each with the indexed column that says how old a row is. */
const SWEPT = {
  replay_nonces: 'expires_at',
  sessions: 'expires_at',
  operator_sessions: 'expires_at',
  audit_events: 'created_at',
} as const;
export type SweptTable = keyof typeof SWEPT;

export interface SweepBatchOptions {
  /** Rows per statement (default SWEEP_BATCH). */
  batch?: number;
}

/**
 * Deletes the rows of `table` whose age column is below `before`, `batch`
 * rows per statement, and lets the event loop run between statements: on
 * SQLite every statement runs on the event loop, and one statement over a
 * large backlog (two minutes of replay records at 1,000 signed requests a
 * second) would hold every request for the whole delete. Each batch is found
 * through the age column's index and removed by row address (SQLite's rowid,
 * PostgreSQL's ctid), so a batch costs the same whatever the table's size.
 * The batch is taken in the order of that index: without the order, the
 * planner may scan the table for the first rows that match, and every batch
 * then reads past all the live rows that lie before them (measured on
 * PostgreSQL: 120,000 expired among 500,000 live replay records took two
 * minutes instead of under a second). Several instances may sweep at once: a row is removed once, the others' batches
 * skip it. Returns the number of rows removed.
 */
export async function deleteOlderThan(store: Store, table: SweptTable, before: number, options: SweepBatchOptions = {}): Promise<number> {
  const batch = options.batch ?? SWEEP_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new TypeError('batch must be a whole number above 0');
  const column = sql.ref(SWEPT[table]);
  const from = sql.table(table);
  const limit = sql.lit(batch);
  const statement =
    store.dialect === 'sqlite'
      ? sql`delete from ${from} where rowid in (select rowid from ${from} where ${column} < ${before} order by ${column} limit ${limit})`
      : sql`delete from ${from} where ctid = any(array(select ctid from ${from} where ${column} < ${before} order by ${column} limit ${limit})) and ${column} < ${before}`;
  let removed = 0;
  for (;;) {
    const result = await statement.execute(store.db);
    const count = Number(result.numAffectedRows ?? 0n);
    removed += count;
    if (count < batch) return removed;
    await nextTurn();
  }
}

/** Replay records whose nonce can no longer pass the window check. */
export function sweepReplayNonces(ctx: DomainContext, options?: SweepBatchOptions): Promise<number> {
  return deleteOlderThan(ctx.store, 'replay_nonces', ctx.clock.now(), options);
}

/** Expired website and console sessions (a login finds them expired already; this frees the rows). */
export async function sweepSessions(ctx: DomainContext, options?: SweepBatchOptions): Promise<number> {
  const now = ctx.clock.now();
  return (await deleteOlderThan(ctx.store, 'sessions', now, options)) + (await deleteOlderThan(ctx.store, 'operator_sessions', now, options));
}

/** Audit events older than the retention; none when `retentionMs` is null (kept for ever). */
export async function sweepAuditEvents(ctx: DomainContext, retentionMs: number | null, options?: SweepBatchOptions): Promise<number> {
  if (retentionMs === null) return 0;
  return deleteOlderThan(ctx.store, 'audit_events', ctx.clock.now() - retentionMs, options);
}
