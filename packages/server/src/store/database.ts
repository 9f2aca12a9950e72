import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the data lives, for messages: a file path or the URL without its password. */
  location: string;
  destroy(): Promise<void>;
}

// BIGINT columns hold millisecond timestamps, well inside Number's safe range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; empty for SQLite in the data folder. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export function openStore(options: StoreOptions): Store {
  const url = options.databaseUrl ?? '';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', location: redactUrl(url), destroy: () => db.destroy() };
  }
  if (url !== '' && !url.startsWith('sqlite:')) {
    throw new Error(`Unsupported database URL "${redactUrl(url)}": use postgres://… or sqlite:<file>`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(options.dataDir, 'rotki-premium.sqlite');
  const connection = new SQLite(file);
  connection.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only a power loss may drop the last commits.
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  // Admin commands run while the server runs: wait for the writer instead of failing.
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  return { db, dialect: 'sqlite', location: file, destroy: () => db.destroy() };
}

function redactUrl(url: string): string {
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
