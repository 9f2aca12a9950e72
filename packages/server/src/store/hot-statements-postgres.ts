import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import {
  SIGNER_ROWS_KEPT,
  TIERS_VERSION,
  TIERS_VERSION_SQL,
  tierListSql,
  timed,
  toTierList,
  type HotStatements,
  type QueryTimer,
  type SignerRow,
  type TierListRow,
} from './hot-statements.ts';
import { ReadBatcher } from './read-batch.ts';
import type { ReplayVerdict } from './replay-batch.ts';
import type { Database } from './schema.ts';

/**
 * The signer query for many keys at once (`keys`: an expression giving an
 * array of API keys; one row per key found), each key's latest subscription
 * through a lateral subquery on the (account_id, id) index.
 */
function signersSql(keys: string): string {
  return `select c."account_id", c."api_key", c."secret_ciphertext", a."username", a."suspended_at",
    s."status", s."period_end", s."tier_id", ${TIERS_VERSION} as "tiers_version"
  from "api_credentials" c
  inner join "accounts" a on a."id" = c."account_id"
  left join lateral (
    select "status", "period_end", "tier_id" from "subscriptions" where "account_id" = c."account_id" order by "id" desc limit 1
  ) s on true
  where c."api_key" = any(${keys})`;
}

/**
 * The replay rows (four arrays, unnested) inserted, and in the same statement
 * the current signer row of every key among them: one round trip and one
 * commit. Answers one row: the 1-based positions of the rows that were there
 * already (null when none was), and the signer rows as JSON.
 */
const COMMIT_REPLAYS_SQL = `with "input" as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
      with ordinality as t("api_key", "nonce", "signature", "expires_at", "position")
  ), "inserted" as (
    insert into "replay_nonces" ("api_key", "nonce", "signature", "expires_at")
    select "api_key", "nonce", "signature", "expires_at" from "input"
    on conflict ("nonce", "api_key", "signature") do nothing
    returning "nonce", "api_key", "signature"
  )
  select
    (select json_agg(i."position") from "input" i where not exists (
      select 1 from "inserted" n where n."nonce" = i."nonce" and n."api_key" = i."api_key" and n."signature" = i."signature"
    )) as "refused",
    (select json_agg(r) from (${signersSql('array(select distinct "api_key" from "input")')}) r) as "signers"`;

/** API keys per signer read at most. */
const SIGNER_BATCH_KEYS = 256;

/**
 * Signer rows as last read, by key: a hint for requests whose replay commit
 * reads the row again (`keptSignerRow`), never what a request is judged on.
 * At most `SIGNER_ROWS_KEPT` keys; a key read as gone is dropped.
 */
class KeptSigners {
  readonly #rows = new Map<string, SignerRow>();

  get(apiKey: string): SignerRow | undefined {
    return this.#rows.get(apiKey);
  }

  /** The rows one statement read for `apiKeys`: each found one kept, the others dropped. */
  update(apiKeys: Iterable<string>, found: ReadonlyMap<string, SignerRow>): void {
    for (const apiKey of apiKeys) {
      const row = found.get(apiKey);
      if (row === undefined) this.#rows.delete(apiKey);
      else if (this.#rows.size < SIGNER_ROWS_KEPT || this.#rows.has(apiKey)) this.#rows.set(apiKey, row);
    }
  }
}

/**
 * PostgreSQL: named statements. The signer and tier-version reads of one
 * event-loop turn share one statement (`read-batch.ts`). The replay rows go in
 * as one multi-row insert, one statement and so one commit, on `replayPool`,
 * whose connections no request's transaction uses; that statement also reads
 * the rows' signers again, so a request that started from a kept row
 * (`keptSignerRow`, no read of its own) is judged on its key's row as of its
 * own commit: a regenerated key, a suspension or an ended subscription
 * committed before it are seen, on every instance.
 */
export function postgresHotStatements(
  db: Kysely<Database>,
  pool: () => Promise<Pool>,
  replayPool: () => Promise<Pool>,
  timer: () => QueryTimer | null,
): HotStatements {
  const tierListText = tierListSql(db);
  const signersText = signersSql('$1::text[]');
  const kept = new KeptSigners();
  const signers = new ReadBatcher<string, SignerRow>(
    async (apiKeys) => {
      const connections = await pool();
      return timed(timer, async () => {
        const result = await connections.query<SignerRow>({ name: 'rp_signers_by_api_key', text: signersText, values: [apiKeys] });
        const found = new Map(result.rows.map((row) => [row.api_key, row]));
        kept.update(apiKeys, found);
        return found;
      });
    },
    { maxKeys: SIGNER_BATCH_KEYS },
  );
  const versions = new ReadBatcher<1, number>(
    async () => {
      const connections = await pool();
      return timed(timer, async () => {
        const result = await connections.query<{ version: number }>({ name: 'rp_tiers_version', text: TIERS_VERSION_SQL });
        const row = result.rows[0];
        return new Map(row === undefined ? [] : [[1, row.version]]);
      });
    },
    { maxKeys: 1 },
  );
  return {
    signerRow: (apiKey) => signers.get(apiKey),
    keptSignerRow: (apiKey) => kept.get(apiKey),
    tierList: async () => {
      const connections = await pool();
      return timed(timer, async () => toTierList((await connections.query<TierListRow>({ name: 'rp_tier_list', text: tierListText })).rows));
    },
    tiersVersion: async () => (await versions.get(1)) ?? null,
    insertReplayRows: async (rows) => {
      const connections = await replayPool();
      return timed(timer, async () => {
        const result = await connections.query<{ refused: number[] | null; signers: SignerRow[] | null }>({
          name: 'rp_commit_replay_rows',
          text: COMMIT_REPLAYS_SQL,
          values: [rows.map((r) => r.api_key), rows.map((r) => r.nonce), rows.map((r) => r.signature), rows.map((r) => r.expires_at)],
        });
        const answer = result.rows[0];
        const refused = new Set(answer?.refused ?? []);
        const found = new Map((answer?.signers ?? []).map((row) => [row.api_key, row]));
        kept.update(new Set(rows.map((r) => r.api_key)), found);
        return rows.map((r, i): ReplayVerdict<SignerRow | null> => ({ inserted: !refused.has(i + 1), current: found.get(r.api_key) ?? null }));
      });
    },
  };
}
