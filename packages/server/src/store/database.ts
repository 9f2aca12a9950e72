import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent, type SqliteDatabase, type Transaction } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import { ensurePrivateDatabaseFile, ensurePrivateDir } from './private-files.ts';
import { ReplayBatcher } from './replay-batch.ts';
import type { Database } from './schema.ts';
import { sqliteHotStatements, type HotStatements, type SignerRow } from './hot-statements.ts';
import { postgresHotStatements } from './hot-statements-postgres.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  /** The signed path's statements, compiled and prepared once. */
  hot: HotStatements;
  /**
   * Replay records, group-committed (`replay-batch.ts`): on PostgreSQL
   * through a small pool of their own, with `synchronous_commit` on as
   * everywhere else, so an accepted request's record survives a crash.
   */
  /** Replay records; on PostgreSQL each verdict carries its key's signer row as the commit read it. */
  replays: ReplayBatcher<SignerRow | null>;
  dialect: DialectName;
  /** Where the data lives, for messages: a file path or the URL without its password. */
  location: string;
  /** Every query's duration from now on goes to `observer` (the metrics); one observer at a time. */
  observeQueries(observer: QueryObserver): void;
  /** Connection counts of each PostgreSQL pool; empty on SQLite. */
  poolStats(): PoolStats[];
  destroy(): Promise<void>;
}

export type QueryObserver = (durationMs: number, failed: boolean) => void;

export interface PoolStats {
  name: string;
  total: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
}

/** A pool that is made on first use reports nothing before. */
function poolStats(name: string, pool: Pool | null): PoolStats[] {
  return pool === null ? [] : [{ name, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }];
}

/** Kysely's log hook feeding a replaceable observer: timing costs two clock reads per query. */
function queryTiming(): {
  log: (event: LogEvent) => void;
  observeQueries(observer: QueryObserver): void;
  /** The observer now, for the statements that bypass Kysely. */
  current(): QueryObserver | null;
} {
  let current: QueryObserver | null = null;
  return {
    log: (event) => current?.(event.queryDurationMillis, event.level === 'error'),
    observeQueries: (observer) => {
      current = observer;
    },
    current: () => current,
  };
}

function newReplayBatcher(hot: HotStatements, options: StoreOptions): ReplayBatcher<SignerRow | null> {
  return new ReplayBatcher((rows) => hot.insertReplayRows(rows), {
    delayMs: options.replayBatchDelayMs ?? DEFAULT_REPLAY_BATCH_DELAY_MS,
    maxRows: REPLAY_BATCH_ROWS,
  });
}

/**
 * The PostgreSQL driver, loaded only when a PostgreSQL database is opened: it
 * would cost every admin command of a SQLite installation tens of milliseconds to load.
 */
async function newPool(config: PoolConfig): Promise<Pool> {
  const { default: pg } = await import('pg');
  // BIGINT columns hold millisecond timestamps, well inside Number's safe range.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
  const pool = new pg.Pool(config);
  // An idle connection ended by the server (a restart, a failover) is dropped from the pool and
  // replaced on next use; unheard, the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; empty for SQLite in the data folder. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** How long a replay record waits for others to share its commit; default 2 ms. */
  replayBatchDelayMs?: number;
}

/** Rows per replay commit at most (PostgreSQL arrays, SQLite statements in one transaction). */
/**
 * The write-ahead log is cut back to this size once a checkpoint has emptied
 * it. Without a limit it keeps the size of its largest burst for good: a bulk
 * import, or commits made while a long read (an online backup) held it.
 */
export const SQLITE_LOG_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

const REPLAY_BATCH_ROWS = 512;
const DEFAULT_REPLAY_BATCH_DELAY_MS = 2;

/** `make` on first call, the same promise after (a failed attempt is retried). */
function lazily<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = null;
      throw error;
    });
    return made;
  };
}

function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

function sqlitePath(url: string, dataDir: string): string {
  if (url !== '' && !url.startsWith('sqlite:')) {
    throw new Error(`Unsupported database URL "${redactUrl(url)}": use postgres://… or sqlite:<file>`);
  }
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(dataDir, 'rotki-premium.sqlite');
}

/** The SQLite file that `options` name; null when they name PostgreSQL. */
export function sqliteFile(options: StoreOptions): string | null {
  const url = options.databaseUrl ?? '';
  return isPostgresUrl(url) ? null : sqlitePath(url, options.dataDir);
}

export function openStore(options: StoreOptions): Store {
  const url = options.databaseUrl ?? '';
  if (isPostgresUrl(url)) {
    const timing = queryTiming();
    // Each pool is made on first use (loading the driver then).
    let pool: Pool | null = null;
    let replayPool: Pool | null = null;
    const mainPool = lazily(async () => (pool = await newPool({ connectionString: url, max: options.poolSize ?? 10 })));
    const replayRowsPool = lazily(async () => (replayPool = await newPool({ connectionString: url, max: 2 })));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: mainPool }), log: timing.log });
    const hot = postgresHotStatements(db, mainPool, replayRowsPool, timing.current);
    const replays = newReplayBatcher(hot, options);
    return {
      db,
      hot,
      replays,
      dialect: 'postgres',
      location: redactUrl(url),
      observeQueries: timing.observeQueries,
      poolStats: () => [...poolStats('main', pool), ...poolStats('replay', replayPool)],
      destroy: async () => {
        await replays.close();
        await db.destroy();
        // Kysely ends the main pool; the replay pool is ours.
        if (replayPool !== null) await replayPool.end();
      },
    };
  }
  const file = sqlitePath(url, options.dataDir);
  ensurePrivateDir(options.dataDir);
  if (file !== ':memory:') ensurePrivateDatabaseFile(file);
  const connection = new SQLite(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma(`journal_size_limit = ${SQLITE_LOG_SIZE_LIMIT_BYTES}`);
  // NORMAL is durable across process crashes in WAL mode; only a power loss may drop the last commits.
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  // Admin commands run while the server runs: wait for the writer instead of failing.
  connection.pragma('busy_timeout = 5000');
  const timing = queryTiming();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }), log: timing.log });
  // A second connection for the signed path, opened on first use (admin commands never open it): its
  // reads and the replay records it commits. Its own commits leave its page cache valid, where a commit
  // on another connection makes it start cold at its next read; an in-memory database has no second one.
  let hotConnection: SQLite.Database | null = null;
  const openHotConnection = (): SQLite.Database => {
    if (hotConnection !== null) return hotConnection;
    if (file === ':memory:') return (hotConnection = connection);
    hotConnection = new SQLite(file);
    // Per connection, as on the main one: a commit survives a crash of the process.
    hotConnection.pragma('synchronous = NORMAL');
    hotConnection.pragma(`journal_size_limit = ${SQLITE_LOG_SIZE_LIMIT_BYTES}`);
    hotConnection.pragma('busy_timeout = 5000');
    return hotConnection;
  };
  const hot = sqliteHotStatements(db, openHotConnection, timing.current, { ownConnection: file !== ':memory:' });
  const replays = newReplayBatcher(hot, options);
  return {
    db,
    hot,
    replays,
    dialect: 'sqlite',
    location: file,
    observeQueries: timing.observeQueries,
    poolStats: () => [],
    destroy: async () => {
      await replays.close();
      if (hotConnection !== null && hotConnection !== connection) hotConnection.close();
      await db.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely prepares every query afresh; preparing costs as much as running the
 * small queries of the signed-request path. Prepared statements are reused per
 * SQL text (the text holds placeholders, never values), least recently used out.
 */
function withStatementCache(connection: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => connection.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement === undefined) {
        statement = connection.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      } else {
        cache.delete(text);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/** The URL with its password replaced by ***, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unparsable database URL';
  }
}

/**
 * Takes the write lock on one account inside a transaction, so that work which
 * reads then writes that account's rows (the device limit, the credential pair)
 * is serialised across connections and processes: `SELECT … FOR UPDATE` on
 * PostgreSQL; on SQLite a no-op write as the transaction's first statement,
 * which takes the database write lock (waiting up to busy_timeout) before any
 * read, so no reader can later fail to upgrade.
 */
export async function lockAccount(trx: Transaction<Database>, dialect: DialectName, accountId: number): Promise<void> {
  if (dialect === 'postgres') {
    await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
  } else {
    await trx.updateTable('accounts').set({ id: sql<number>`id` }).where('id', '=', accountId).execute();
  }
}
