import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { Database, ReplayNonceTable, SubscriptionStatus, TierRow } from './schema.ts';

/**
 * The statements every premium request runs, compiled once and prepared once:
 * on SQLite better-sqlite3 statements (with literal LIMITs: SQLite re-prepares
 * a statement whose LIMIT is a bound parameter on every run), on PostgreSQL
 * named statements, which each connection parses and plans once. Kysely would
 * rebuild and recompile each query on every request.
 */
export interface HotStatements {
  /**
   * The key's credentials, account, latest subscription and its tier, and the
   * whole tier list as JSON (`tiers_json`), in one read.
   */
  signerRow(apiKey: string): Promise<SignerRow | undefined>;
  /** Every tier, in display order. */
  tierRows(): Promise<TierRow[]>;
  /**
   * Inserts replay records in one transaction (one commit, one WAL flush) and
   * says, per row, whether it was new: false where the row was there already.
   */
  insertReplayRows(rows: readonly ReplayNonceTable[]): Promise<boolean[]>;
}

export interface SignerRow {
  account_id: number;
  api_key: string;
  secret_ciphertext: string;
  username: string;
  suspended_at: number | null;
  status: SubscriptionStatus | null;
  period_end: number | null;
  tier_id: number | null;
  name: string | null;
  display_order: number | null;
  device_limit: number | null;
  max_backup_size_mb: number | null;
  backup_versions: number | null;
  pnl_events_limit: number | null;
  history_events_limit: number | null;
  reports_lookup_limit: number | null;
  eth_staked_limit: number | null;
  capabilities: string | null;
  /** Every tier, in display order: a JSON array of tier rows, read in the same statement. */
  tiers_json: string;
}

export type QueryTimer = (durationMs: number, failed: boolean) => void;

const TIER_COLUMNS = [
  'id',
  'name',
  'display_order',
  'device_limit',
  'max_backup_size_mb',
  'backup_versions',
  'pnl_events_limit',
  'history_events_limit',
  'reports_lookup_limit',
  'eth_staked_limit',
  'capabilities',
] as const satisfies readonly (keyof TierRow)[];

const tierPairs = TIER_COLUMNS.map((column) => `'${column}', "${column}"`).join(', ');

/**
 * The tier list as one JSON text, in display order: the signed `limits`
 * answer needs it, and reading it within the signer's statement spares a
 * second read (on SQLite a read transaction, on PostgreSQL a round trip).
 */
const TIERS_JSON = {
  sqlite: `(select json_group_array(json_object(${tierPairs}) order by "display_order", "id") from "tiers")`,
  postgres: `(select coalesce(json_agg(json_build_object(${tierPairs}) order by "display_order", "id"), '[]'::json)::text from "tiers")`,
} as const;

/** The signer query's SQL for the dialect of `db`, with one parameter: the API key. */
function signerSql(db: Kysely<Database>, dialect: keyof typeof TIERS_JSON): string {
  return (
    db
      .selectFrom('api_credentials')
      .innerJoin('accounts', 'accounts.id', 'api_credentials.account_id')
      // The latest subscription is the current one: newest first, one row.
      .leftJoin('subscriptions', 'subscriptions.account_id', 'api_credentials.account_id')
      .leftJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
      .select([
        'api_credentials.account_id',
        'api_credentials.api_key',
        'api_credentials.secret_ciphertext',
        'accounts.username',
        'accounts.suspended_at',
        'subscriptions.status',
        'subscriptions.period_end',
        'tiers.id as tier_id',
        'tiers.name',
        'tiers.display_order',
        'tiers.device_limit',
        'tiers.max_backup_size_mb',
        'tiers.backup_versions',
        'tiers.pnl_events_limit',
        'tiers.history_events_limit',
        'tiers.reports_lookup_limit',
        'tiers.eth_staked_limit',
        'tiers.capabilities',
        sql.raw<string>(TIERS_JSON[dialect]).as('tiers_json'),
      ])
      .where('api_credentials.api_key', '=', '')
      .orderBy('subscriptions.id', 'desc')
      .limit(sql.lit(1))
      .compile().sql
  );
}

function tiersSql(db: Kysely<Database>): string {
  return db.selectFrom('tiers').selectAll().orderBy('display_order').compile().sql;
}

async function timed<T>(timer: () => QueryTimer | null, run: () => Promise<T> | T): Promise<T> {
  const observe = timer();
  if (observe === null) return run();
  const start = performance.now();
  try {
    const result = await run();
    observe(performance.now() - start, false);
    return result;
  } catch (error) {
    observe(performance.now() - start, true);
    throw error;
  }
}

/**
 * SQLite. Reads go through `reader`, a second connection to the same file
 * (opened on first use): in WAL mode it sees the last committed state and is
 * never inside a transaction another request has open on the main connection. Replay rows are written on
 * the main connection while holding Kysely's lock on it (`db.connection()`),
 * so they never land inside another request's open transaction.
 */
export function sqliteHotStatements(
  db: Kysely<Database>,
  writer: SQLite.Database,
  reader: () => SQLite.Database,
  timer: () => QueryTimer | null,
): HotStatements {
  // Prepared on first use: the tables may not exist when the store opens (before the migrations).
  let signer: SQLite.Statement<[string], SignerRow> | null = null;
  let tiers: SQLite.Statement<[], TierRow> | null = null;
  let insertAll: ((rows: readonly ReplayNonceTable[]) => boolean[]) | null = null;
  const prepareInsert = () => {
    const insert = writer.prepare<[string, string, string, number], { one: number }>(
      'insert into "replay_nonces" ("api_key", "nonce", "signature", "expires_at") values (?, ?, ?, ?) ' +
        'on conflict ("api_key", "nonce", "signature") do nothing returning 1 as "one"',
    );
    return writer.transaction((rows: readonly ReplayNonceTable[]) =>
      rows.map((row) => insert.get(row.api_key, row.nonce, row.signature, row.expires_at) !== undefined),
    );
  };
  return {
    signerRow: (apiKey) =>
      timed(timer, () => {
        signer ??= reader().prepare<[string], SignerRow>(signerSql(db, 'sqlite'));
        return signer.get(apiKey);
      }),
    tierRows: () =>
      timed(timer, () => {
        tiers ??= reader().prepare<[], TierRow>(tiersSql(db));
        return tiers.all();
      }),
    insertReplayRows: (rows) =>
      db.connection().execute(() =>
        timed(timer, () => {
          insertAll ??= prepareInsert();
          return insertAll(rows);
        }),
      ),
  };
}

/**
 * PostgreSQL: named statements. The replay rows go in as one multi-row insert
 * (arrays unnested), one statement and so one commit, on `replayPool`, whose
 * connections no request's transaction uses.
 */
export function postgresHotStatements(
  db: Kysely<Database>,
  pool: () => Promise<Pool>,
  replayPool: () => Promise<Pool>,
  timer: () => QueryTimer | null,
): HotStatements {
  const signerText = signerSql(db, 'postgres');
  const tiersText = tiersSql(db);
  const insertText =
    'insert into "replay_nonces" ("api_key", "nonce", "signature", "expires_at") ' +
    'select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ' +
    'on conflict ("api_key", "nonce", "signature") do nothing returning "api_key", "nonce", "signature"';
  return {
    signerRow: async (apiKey) => {
      const connections = await pool();
      return timed(timer, async () => {
        const result = await connections.query<SignerRow>({ name: 'rp_signer_by_api_key', text: signerText, values: [apiKey] });
        return result.rows[0];
      });
    },
    tierRows: async () => {
      const connections = await pool();
      return timed(timer, async () => (await connections.query<TierRow>({ name: 'rp_tiers', text: tiersText })).rows);
    },
    insertReplayRows: async (rows) => {
      const connections = await replayPool();
      return timed(timer, async () => {
        const result = await connections.query<Pick<ReplayNonceTable, 'api_key' | 'nonce' | 'signature'>>({
          name: 'rp_insert_replay_rows',
          text: insertText,
          values: [rows.map((r) => r.api_key), rows.map((r) => r.nonce), rows.map((r) => r.signature), rows.map((r) => r.expires_at)],
        });
        const inserted = new Set(result.rows.map((r) => `${r.api_key}\n${r.nonce}\n${r.signature}`));
        return rows.map((r) => inserted.has(`${r.api_key}\n${r.nonce}\n${r.signature}`));
      });
    },
  };
}
