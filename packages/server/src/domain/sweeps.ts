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
 * through the age column's index, in its order (without the order the planner
 * may scan the table and read past every live row), and removed by row
 * address, so a batch costs the same whatever the table's size. Several
 * instances may sweep at once: a row is removed once, the others' batches
 * skip it. Returns the number of rows removed.
 */
export async function deleteOlderThan(store: Store, table: SweptTable, before: number, options: SweepBatchOptions = {}): Promise<number> {
  const batch = options.batch ?? SWEEP_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new TypeError('batch must be a whole number above 0');
  const deleteBatch = store.dialect === 'sqlite' ? sqliteBatch(store, table, before, batch) : postgresBatch(store, table, before, batch);
  let removed = 0;
  for (;;) {
    const count = await deleteBatch();
    removed += count;
    if (count < batch) return removed;
    await nextTurn();
  }
}

/** SQLite removes a row's index entries with the row: each batch starts at the first expired row left. */
function sqliteBatch(store: Store, table: SweptTable, before: number, batch: number): () => Promise<number> {
  const column = sql.ref(SWEPT[table]);
  const from = sql.table(table);
  const statement = sql`delete from ${from} where rowid in (select rowid from ${from} where ${column} < ${before} order by ${column} limit ${sql.lit(batch)})`;
  return async () => Number((await statement.execute(store.db)).numAffectedRows ?? 0n);
}

/**
 * PostgreSQL. The rows are removed by a TID scan of the addresses the batch
 * found. The age is checked again on each row (a session extended since it
 * was found is kept: an update moves a row, and a TID scan alone would follow
 * it), but through an expression no index holds (`+ 0`): offered the age
 * index for the delete itself, the planner took it, and every batch then read
 * every expired row left and compared it with each of the batch's addresses
 * (measured: 120,000 expired replay records took 29.7 s, one batch of 1,000
 * rows 1 s; with the TID scan a batch takes about 2 ms).
 *
 * A deleted row's index entry stays until vacuum: each batch starts at the
 * highest age the previous one removed, so it does not walk again over the
 * entries of every batch before it (which, while a long transaction keeps
 * them from being marked dead, costs a heap visit each).
 */
function postgresBatch(store: Store, table: SweptTable, before: number, batch: number): () => Promise<number> {
  const column = sql.ref(SWEPT[table]);
  const from = sql.table(table);
  let after: number | null = null;
  return async () => {
    const lowerBound = after === null ? sql`` : sql`${column} >= ${after} and`;
    const result = await sql<{ removed: number; highest: number | null }>`
      with gone as (
        delete from ${from}
        where ctid = any(array(select ctid from ${from} where ${lowerBound} ${column} < ${before} order by ${column} limit ${sql.lit(batch)}))
          and ${column} + 0 < ${before}
        returning ${column} as age
      )
      select cast(count(*) as integer) as removed, max(age) as highest from gone`.execute(store.db);
    const row = result.rows[0];
    if (row !== undefined && row.highest !== null) after = Number(row.highest);
    return row?.removed ?? 0;
  };
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
