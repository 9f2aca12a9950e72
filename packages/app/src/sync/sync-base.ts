import { readSettings } from '../local/settings.ts';
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
  /** Unix seconds of the sync; 0 when never. */
  syncedAt: number;
  /** How it was synced; null when never. */
  action: 'upload' | 'download' | null;
}

const HASH = 'sync_base_hash';
const WRITE_TS = 'sync_base_write_ts';
const SYNCED_AT = 'sync_base_synced_at';
const ACTION = 'sync_base_action';

function whole(text: string | null): number {
  const value = Number(text ?? '0');
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export function readSyncBase(db: UserDb): SyncBase {
  const action = getCache(db, ACTION);
  return {
    hash: getCache(db, HASH) ?? '',
    writeTs: whole(getCache(db, WRITE_TS)),
    syncedAt: whole(getCache(db, SYNCED_AT)),
    action: action === 'upload' || action === 'download' ? action : null,
  };
}

/**
 * Records that the local data as of `writeTs` (default: now) equals the
 * server backup `hash`, after an upload (the `last_write_ts` that was
 * exported) or a download.
 */
export function recordSyncBase(
  db: UserDb,
  action: 'upload' | 'download',
  hash: string,
  nowSeconds: number,
  writeTs = readSettings(db).last_write_ts,
): SyncBase {
  const base = { hash, writeTs, syncedAt: nowSeconds, action };
  db.transaction(() => {
    setCache(db, HASH, base.hash);
    setCache(db, WRITE_TS, String(base.writeTs));
    setCache(db, SYNCED_AT, String(base.syncedAt));
    setCache(db, ACTION, action);
  })();
  return base;
}

/** Local changes written since the last sync (or any data at all when it never synced). */
export function hasPendingChanges(db: UserDb, base: SyncBase = readSyncBase(db)): boolean {
  return readSettings(db).last_write_ts > base.writeTs;
}

/** No accounts and no notes: nothing a restore would replace. */
export function isLocalDataEmpty(db: UserDb): boolean {
  const row = db.prepare('SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM notes) AS n').get() as { n: number };
  return row.n === 0;
}
