import Database from 'better-sqlite3';

/**
 * One local user's database: settings, the premium credentials (encrypted)
 * and the user's own data (accounts and notes). Plain functions taking the
 * database first; callers own the transactions.
 */
export type UserDb = Database.Database;

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_credentials (
  name TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS key_value_cache (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY,
  chain TEXT NOT NULL,
  address TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (chain, address)
);
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

/** The tables a database must hold to be a user database of this app (checked on downloaded backups too). */
export const REQUIRED_TABLES = ['meta', 'settings', 'user_credentials', 'key_value_cache', 'accounts', 'notes'] as const;

export function openUserDb(path: string, options: { create?: boolean; readonly?: boolean } = {}): UserDb {
  const db = new Database(path, { fileMustExist: options.create !== true, readonly: options.readonly === true });
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (options.create === true) {
      db.exec(SCHEMA);
      setMeta(db, 'schema_version', String(SCHEMA_VERSION));
    }
  }
  return db;
}

export function getMeta(db: UserDb, name: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setMeta(db: UserDb, name: string, value: string): void {
  db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
}

export function getCache(db: UserDb, name: string): string | null {
  const row = db.prepare('SELECT value FROM key_value_cache WHERE name = ?').get(name) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setCache(db: UserDb, name: string, value: string): void {
  db.prepare('INSERT INTO key_value_cache (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(
    name,
    value,
  );
}

/** `PRAGMA integrity_check` said ok, and every table of the app is there. */
export function checkIntegrity(db: UserDb): string | null {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const verdict = rows.map((r) => r.integrity_check).join('; ');
  if (verdict !== 'ok') return `integrity check failed: ${verdict}`;
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) return `not a database of this app (missing ${missing.join(', ')})`;
  return null;
}
