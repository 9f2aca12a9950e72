import type { Kysely } from 'kysely';
import type { Store } from '../store/database.ts';
import type { Database } from '../store/schema.ts';

/**
 * Failures counted per subject (an API key, an address, an account) in a
 * fixed window, to slow down guessing (issue 8). With several instances the
 * counts must be shared, or N instances would allow N times the attempts: in
 * the database, or in Redis when the operator gives one.
 */
export interface FailureCounter {
  /** Seconds until `subject` may try again, or 0 when it is under its limit. */
  retryAfterSeconds(subject: string, nowMs: number): Promise<number>;
  /** Records a failure; true when this failure reaches the limit (once per window). */
  recordFailure(subject: string, nowMs: number): Promise<boolean>;
}

/** Where the counters live: this process (SQLite, one instance), the database, or Redis. */
export interface CounterStore {
  readonly kind: 'memory' | 'database' | 'redis';
  /** One add-and-read: the subject's count and window end after adding `by` (0 reads only). */
  add(key: string, by: number, nowMs: number, windowMs: number): Promise<{ count: number; windowEndsAt: number }>;
  /** Drops windows that have ended. */
  sweep(nowMs: number): Promise<void>;
  close(): Promise<void>;
}

function waitSeconds(windowEndsAt: number, nowMs: number): number {
  return Math.max(1, Math.ceil((windowEndsAt - nowMs) / 1000));
}

/** A limit of `limit` failures per `windowMs` for the subjects of one kind (`namespace`). */
export function failureCounter(store: CounterStore, namespace: string, limit: number, windowMs: number): FailureCounter {
  const key = (subject: string) => `${namespace}:${subject}`;
  return {
    async retryAfterSeconds(subject, nowMs) {
      const { count, windowEndsAt } = await store.add(key(subject), 0, nowMs, windowMs);
      return count >= limit && windowEndsAt > nowMs ? waitSeconds(windowEndsAt, nowMs) : 0;
    },
    async recordFailure(subject, nowMs) {
      const { count } = await store.add(key(subject), 1, nowMs, windowMs);
      return count === limit;
    },
  };
}

/** Counters in this process: enough for one instance on SQLite. */
export function memoryCounterStore(maxSubjects = 100_000): CounterStore {
  const counts = new Map<string, { count: number; windowEndsAt: number }>();
  const sweep = (nowMs: number) => {
    for (const [subject, entry] of counts) if (entry.windowEndsAt <= nowMs) counts.delete(subject);
  };
  return {
    kind: 'memory',
    async add(key, by, nowMs, windowMs) {
      let entry = counts.get(key);
      if (entry === undefined || entry.windowEndsAt <= nowMs) {
        if (by === 0) return { count: 0, windowEndsAt: nowMs };
        entry = { count: 0, windowEndsAt: nowMs + windowMs };
        counts.set(key, entry);
        if (counts.size > maxSubjects) sweep(nowMs);
      }
      entry.count += by;
      return { ...entry };
    },
    async sweep(nowMs) {
      sweep(nowMs);
    },
    async close() {},
  };
}

/** Counters in the `rate_limit_counters` table: one upsert per failure, shared by every instance. */
export function databaseCounterStore(db: Kysely<Database>): CounterStore {
  return {
    kind: 'database',
    async add(key, by, nowMs, windowMs) {
      if (by === 0) {
        const row = await db
          .selectFrom('rate_limit_counters')
          .select(['count', 'window_ends_at'])
          .where('subject', '=', key)
          .where('window_ends_at', '>', nowMs)
          .executeTakeFirst();
        return row === undefined ? { count: 0, windowEndsAt: nowMs } : { count: Number(row.count), windowEndsAt: Number(row.window_ends_at) };
      }
      // A window that ended starts afresh in the same statement, so concurrent instances never lose a count.
      const row = await db
        .insertInto('rate_limit_counters')
        .values({ subject: key, count: by, window_ends_at: nowMs + windowMs })
        .onConflict((oc) =>
          oc.column('subject').doUpdateSet((eb) => ({
            count: eb
              .case()
              .when('rate_limit_counters.window_ends_at', '<=', nowMs)
              .then(by)
              .else(eb('rate_limit_counters.count', '+', by))
              .end(),
            window_ends_at: eb
              .case()
              .when('rate_limit_counters.window_ends_at', '<=', nowMs)
              .then(nowMs + windowMs)
              .else(eb.ref('rate_limit_counters.window_ends_at'))
              .end(),
          })),
        )
        .returning(['count', 'window_ends_at'])
        .executeTakeFirstOrThrow();
      return { count: Number(row.count), windowEndsAt: Number(row.window_ends_at) };
    },
    async sweep(nowMs) {
      await db.deleteFrom('rate_limit_counters').where('window_ends_at', '<=', nowMs).execute();
    },
    async close() {},
  };
}

/** Without Redis: the database when instances share one (PostgreSQL), this process for SQLite. */
export function defaultCounterStore(store: Store): CounterStore {
  return store.dialect === 'postgres' ? databaseCounterStore(store.db) : memoryCounterStore();
}
