/**
 * Bulk rows for the scale benchmark, written straight into the database in a
 * few statements: accounts with an active subscription and credentials,
 * devices, audit events and live replay records. The rows are realistic in
 * shape (the same columns and indexes the server uses), not in content: the
 * secrets are not decryptable and nobody can sign with them.
 */
import { statSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import pg from 'pg';

export interface ScaleCounts {
  accounts: number;
  devices: number;
  auditEvents: number;
  replayRecords: number;
}

export const ISSUE_SCALE: ScaleCounts = { accounts: 100_000, devices: 400_000, auditEvents: 1_000_000, replayRecords: 500_000 };

/** The statements, for `n` rows from a series named `s(i)` with i = 1…n. */
function statements(counts: ScaleCounts, now: number, series: (n: number) => string): string[] {
  const { accounts, devices, auditEvents, replayRecords } = counts;
  const basic = `(select id from tiers where name = 'Basic')`;
  // Accounts get ids after the existing ones; every other table refers to them through the username.
  return [
    `insert into accounts (username, email, password_hash, created_at)
       select 'scale' || i, 'scale' || i || '@example.com', 'not-a-hash', ${now} from ${series(accounts)}`,
    `insert into subscriptions (account_id, tier_id, status, period_start, period_end, created_at, updated_at)
       select id, ${basic}, 'active', ${now}, ${now + 30 * 86_400_000}, ${now}, ${now} from accounts where username like 'scale%'`,
    `insert into api_credentials (account_id, api_key, secret_ciphertext, created_at)
       select id, 'rpk_scale_' || id, 'not-a-ciphertext', ${now} from accounts where username like 'scale%'`,
    `insert into devices (account_id, device_identifier, device_name, platform, created_at, last_seen_at)
       select a.id, 'device-' || s.i, 'Device ' || s.i, 'Linux', ${now}, ${now}
       from accounts a join ${series(devices)} on a.username = 'scale' || (1 + (s.i - 1) % ${accounts})`,
    `insert into audit_events (account_id, action, detail, ip, created_at)
       select a.id, 'login.succeeded', '{}', '127.0.0.1', ${now} - s.i * 1000
       from accounts a join ${series(auditEvents)} on a.username = 'scale' || (1 + (s.i - 1) % ${accounts})`,
    // Live: they expire after the benchmark, as records of the last minutes would.
    `insert into replay_nonces (api_key, nonce, signature, expires_at)
       select 'rpk_scale_' || (1 + (i - 1) % ${accounts}), cast(${now} + i as text), 'x', ${now + 3_600_000} from ${series(replayRecords)}`,
  ];
}

/**
 * Seeds a SQLite database that a running server holds open; returns the size
 * of the write-ahead log the seeding left, in bytes. The log is then
 * checkpointed into the database and truncated: rows written in one burst sit
 * in the log (over 200 MiB at the issue's scale), where every read searches
 * them and the server's next commits would copy them back on its event loop.
 * An installation that grew to this size over months was checkpointed all
 * along, and it is the tables' size that is measured here, not that burst.
 */
export function seedSqlite(file: string, counts: ScaleCounts, now: number): number {
  const db = new SQLite(file);
  try {
    db.pragma('busy_timeout = 60000');
    const series = (n: number) => `(with recursive s(i) as (select 1 union all select i + 1 from s where i < ${n}) select i from s) s`;
    db.transaction(() => {
      for (const text of statements(counts, now, series)) db.prepare(text).run();
    })();
    db.exec('analyze');
    const logBytes = statSync(`${file}-wal`).size;
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy !== 0) throw new Error('the seeded write-ahead log could not be checkpointed (a reader held it)');
    return logBytes;
  } finally {
    db.close();
  }
}

export async function seedPostgres(url: string, counts: ScaleCounts, now: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const series = (n: number) => `generate_series(1, ${n}) s(i)`;
    await client.query('begin');
    for (const text of statements(counts, now, series)) await client.query(text);
    await client.query('commit');
    await client.query('analyze');
  } finally {
    await client.end();
  }
}
