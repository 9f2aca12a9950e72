import { getCache, setCache, type UserDb } from '../local/user-db.ts';

/**
 * Whether the automatic sync keeps failing, so the toolbar can warn instead
 * of letting the backup go silently stale (rotki issues #5398, #7375). Kept
 * in the user's database cache: the first failure of the current run of
 * failures, and the latest reason. A success (automatic or by hand) ends the run.
 */
export interface AutoSyncHealth {
  /** Unix seconds of the first failure in a row; 0 when the last attempt worked. */
  failingSince: number;
  /** Why the latest attempt failed; null when it worked. */
  lastError: string | null;
}

/** Failing for longer than this shows the persistent warning. */
export const AUTO_SYNC_WARN_AFTER_SECONDS = 24 * 60 * 60;

const SINCE = 'auto_sync_failing_since';
const ERROR = 'auto_sync_last_error';

export function readAutoSyncHealth(db: UserDb): AutoSyncHealth {
  const since = Number(getCache(db, SINCE) ?? '0');
  const error = getCache(db, ERROR);
  return { failingSince: Number.isSafeInteger(since) && since > 0 ? since : 0, lastError: error === null || error === '' ? null : error };
}

export function noteAutoSyncFailure(db: UserDb, reason: string, nowSeconds: number): void {
  db.transaction(() => {
    if (readAutoSyncHealth(db).failingSince === 0) setCache(db, SINCE, String(nowSeconds));
    setCache(db, ERROR, reason);
  })();
}

export function noteSyncSuccess(db: UserDb): void {
  db.transaction(() => {
    setCache(db, SINCE, '0');
    setCache(db, ERROR, '');
  })();
}
