import { readSettings, readWriteCount } from '../local/settings.ts';
import { getCache, setCache, type UserDb } from '../local/user-db.ts';

/**
 * What this device's data was last synced from: the `data_hash` of the
 * server backup it uploaded or downloaded, the local `last_write_ts` at that
 * moment (later writes are pending local changes), and when. An upload
 * names this hash as its base (compare-and-swap), so a backup another device
 * uploaded in the meantime is never replaced without the user's consent.
 *
 * Kept in the user's database cache. A downloaded database carries the
 * uploader's values, so every sync writes them afresh.
 */
export interface SyncBase {
  /** '' when this data was never synced with the server. */
  hash: string;
  /** Local `last_write_ts` when it was synced; 0 when never. */
  writeTs: number;
  /** The database's change count when it was synced (same-second changes count too); 0 when never. */
  writeCount: number;
  /** Unix seconds of the sync; 0 when never. */
  syncedAt: number;
  /** How it was synced; null when never. */
  action: 'upload' | 'download' | null;
}

const HASH = 'sync_base_hash';
const WRITE_TS = 'sync_base_write_ts';
const SYNCED_AT = 'sync_base_synced_at';
const ACTION = 'sync_base_action';
const WRITE_COUNT = 'sync_base_write_count';

/** Where the local data stands: what an upload exports, or what a download brought. */
export interface WriteMark {
  writeTs: number;
  writeCount: number;
}

export function currentWriteMark(db: UserDb): WriteMark {
  return { writeTs: readSettings(db).last_write_ts, writeCount: readWriteCount(db) };
}

function whole(text: string | null): number {
  const value = Number(text ?? '0');
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export function readSyncBase(db: UserDb): SyncBase {
  const action = getCache(db, ACTION);
  return {
    hash: getCache(db, HASH) ?? '',
    writeTs: whole(getCache(db, WRITE_TS)),
    writeCount: whole(getCache(db, WRITE_COUNT)),
    syncedAt: whole(getCache(db, SYNCED_AT)),
    action: action === 'upload' || action === 'download' ? action : null,
  };
}

/**
 * Records that the local data as of `mark` (default: now) equals the server
 * backup `hash`, after an upload (the mark taken before the export) or a
 * download.
 */
export function recordSyncBase(
  db: UserDb,
  action: 'upload' | 'download',
  hash: string,
  nowSeconds: number,
  mark: WriteMark = currentWriteMark(db),
): SyncBase {
  const base = { hash, writeTs: mark.writeTs, writeCount: mark.writeCount, syncedAt: nowSeconds, action };
  db.transaction(() => {
    setCache(db, HASH, base.hash);
    setCache(db, WRITE_TS, String(base.writeTs));
    setCache(db, WRITE_COUNT, String(base.writeCount));
    setCache(db, SYNCED_AT, String(base.syncedAt));
    setCache(db, ACTION, action);
  })();
  return base;
}

/** Local changes written since the last sync (or any data at all when it never synced). */
export function hasPendingChanges(db: UserDb, base: SyncBase = readSyncBase(db)): boolean {
  return readSettings(db).last_write_ts > base.writeTs || readWriteCount(db) > base.writeCount;
}

/** No accounts and no notes: nothing a restore would replace. */
export function isLocalDataEmpty(db: UserDb): boolean {
  const row = db.prepare('SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM notes) AS n').get() as { n: number };
  return row.n === 0;
}
