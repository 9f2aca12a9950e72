import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { ReplayVerdict } from './replay-batch.ts';
import { UnchangedRows } from './unchanged-rows.ts';
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
   * The key's credentials, account and latest subscription, and the tier
   * list's version number, in one read.
   */
  signerRow(apiKey: string): Promise<SignerRow | undefined>;
  /** Every tier, in display order, with the list's version number read in the same statement. */
  tierList(): Promise<TierList>;
  /** The tier list's version number (a primary-key read). */
  tiersVersion(): Promise<number | null>;
  /**
   * Inserts replay records in one transaction (one commit, one WAL flush) and
   * says, per row, whether it was new: false where the row was there already.
   * On PostgreSQL the same statement reads each row's signer again
   * (`current`: its row, or null when the key is gone).
   */
  insertReplayRows(rows: readonly ReplayNonceTable[]): Promise<ReplayVerdict<SignerRow | null>[]>;
  /**
   * PostgreSQL: the row last read for this key, for a request whose replay
   * commit reads it again and is judged on that (`insertReplayRows`).
   * Absent on SQLite, where `signerRow` serves unchanged rows itself.
   */
  keptSignerRow?(apiKey: string): SignerRow | undefined;
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
  /** The tier list's version (`tiers_version`) as this statement saw it; null without the row. */
  tiers_version: number | null;
}

export interface TierList {
  /** Null when the version row is missing (or there are no tiers): the list is then not held. */
  version: number | null;
  rows: TierRow[];
}

export type QueryTimer = (durationMs: number, failed: boolean) => void;

export const TIERS_VERSION = '(select "version" from "tiers_version" where "id" = 1)';

/** SQLite: the signer query's SQL, with one parameter: the API key. */
function signerSql(db: Kysely<Database>): string {
  return (
    db
      .selectFrom('api_credentials')
      .innerJoin('accounts', 'accounts.id', 'api_credentials.account_id')
      // The latest subscription is the current one: newest first, one row.
      .leftJoin('subscriptions', 'subscriptions.account_id', 'api_credentials.account_id')
      .select([
        'api_credentials.account_id',
        'api_credentials.api_key',
        'api_credentials.secret_ciphertext',
        'accounts.username',
        'accounts.suspended_at',
        'subscriptions.status',
        'subscriptions.period_end',
        'subscriptions.tier_id',
        sql.raw<number | null>(TIERS_VERSION).as('tiers_version'),
      ])
      .where('api_credentials.api_key', '=', '')
      .orderBy('subscriptions.id', 'desc')
      .limit(sql.lit(1))
      .compile().sql
  );
}

/** Every tier in display order, each row with the list's version: one statement, so one snapshot. */
export function tierListSql(db: Kysely<Database>): string {
  return db
    .selectFrom('tiers')
    .selectAll()
    .select(sql.raw<number | null>(TIERS_VERSION).as('list_version'))
    .orderBy('display_order')
    .orderBy('id')
    .compile().sql;
}

export const TIERS_VERSION_SQL = `select "version" from "tiers_version" where "id" = 1`;

/** Signer rows kept between changes of the database (SQLite; about 300 bytes each). */
export const SIGNER_ROWS_KEPT = 50_000;

export type TierListRow = TierRow & { list_version: number | null };

export function toTierList(rows: TierListRow[]): TierList {
  return {
    version: rows[0]?.list_version ?? null,
    rows: rows.map(({ list_version: _version, ...tier }) => tier),
  };
}

export async function timed<T>(timer: () => QueryTimer | null, run: () => Promise<T> | T): Promise<T> {
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
 * SQLite. The signed path has a connection of its own (`hot`, a second
 * connection to the same file, opened on first use), which reads and commits
 * the replay records. In WAL mode its reads see the last committed state and
 * are never inside a transaction another request has open on the main
 * connection. Its replay commits run while Kysely's lock on the main
 * connection is held (`db.connection()`), so no transaction of this process is
 * open beside them: the one writer SQLite allows is never waited for with the
 * event loop blocked. A connection's own commits keep its page cache; a commit
 * on another connection empties it, which made every signer read after a
 * replay batch start cold. For the same reason its signer rows can be served
 * again until another connection commits (`unchanged-rows.ts`): each request
 * still asks the database whether anything changed.
 */
export function sqliteHotStatements(
  db: Kysely<Database>,
  hot: () => SQLite.Database,
  timer: () => QueryTimer | null,
  options: { ownConnection: boolean },
): HotStatements {
  // Prepared on first use: the tables may not exist when the store opens (before the migrations).
  let signer: SQLite.Statement<[string], SignerRow> | null = null;
  let dataVersion: SQLite.Statement<[], number> | null = null;
  // Only on a connection of its own: on the main one (an in-memory database) every write is its own commit.
  const signers = options.ownConnection ? new UnchangedRows<SignerRow>(SIGNER_ROWS_KEPT) : null;
  let tiers: SQLite.Statement<[], TierListRow> | null = null;
  let version: SQLite.Statement<[], number | undefined> | null = null;
  let insertAll: ((rows: readonly ReplayNonceTable[]) => boolean[]) | null = null;
  const prepareInsert = () => {
    const connection = hot();
    const insert = connection.prepare<[string, string, string, number], { one: number }>(
      'insert into "replay_nonces" ("api_key", "nonce", "signature", "expires_at") values (?, ?, ?, ?) ' +
        'on conflict ("nonce", "api_key", "signature") do nothing returning 1 as "one"',
    );
    return connection.transaction((rows: readonly ReplayNonceTable[]) =>
      rows.map((row) => insert.get(row.api_key, row.nonce, row.signature, row.expires_at) !== undefined),
    );
  };
  return {
    signerRow: (apiKey) =>
      timed(timer, () => {
        signer ??= hot().prepare<[string], SignerRow>(signerSql(db));
        if (signers === null) return signer.get(apiKey);
        dataVersion ??= hot().prepare<[], number>('pragma data_version').pluck();
        const kept = signers.get(apiKey, dataVersion.get() as number);
        if (kept !== undefined) return kept;
        const row = signer.get(apiKey);
        if (row !== undefined) signers.set(apiKey, row);
        return row;
      }),
    tierList: () =>
      timed(timer, () => {
        tiers ??= hot().prepare<[], TierListRow>(tierListSql(db));
        return toTierList(tiers.all());
      }),
    tiersVersion: () =>
      timed(timer, () => {
        version ??= hot().prepare<[], number | undefined>(TIERS_VERSION_SQL).pluck();
        return version.get() ?? null;
      }),
    insertReplayRows: (rows) =>
      db.connection().execute(() =>
        timed(timer, () => {
          insertAll ??= prepareInsert();
          return insertAll(rows).map((inserted) => ({ inserted }));
        }),
      ),
  };
}
