import type { BackupCurrent } from '@rotki-premium/protocol';
import { readSettings } from '../local/settings.ts';
import type { UserDb } from '../local/user-db.ts';
import { AUTO_SYNC_WARN_AFTER_SECONDS, readAutoSyncHealth } from './auto-sync-health.ts';
import { hasPendingChanges, isLocalDataEmpty, readSyncBase } from './sync-base.ts';

/** What this app last learnt of the server's backup. */
export interface RemoteKnowledge {
  /** The server's current backup; null when it has none. */
  backup: BackupCurrent | null;
  /** Unix seconds of the last successful look; 0 when never. */
  checkedAt: number;
  /** Why the last look failed; null when it worked. */
  error: string | null;
}

export const UNKNOWN_REMOTE: RemoteKnowledge = Object.freeze({ backup: null, checkedAt: 0, error: null });

/** `GET /api/1/premium/sync`: the sync state the toolbar, the restore offer and `sync status` show. */
export interface SyncStatusView {
  /** Unix seconds of the last upload or download; 0 when never. */
  last_synced_at: number;
  last_sync_action: 'upload' | 'download' | null;
  /** Local changes written since the last sync (or any data, when it never synced). */
  pending_changes: boolean;
  /** No accounts and no notes here. */
  local_empty: boolean;
  /** The automatic sync switch. */
  auto_sync: boolean;
  /** The server's current backup with who uploaded it; null when there is none (or it is not known yet). */
  remote: BackupCurrent | null;
  /** Unix seconds of the last look at the server; 0 when never. */
  remote_checked_at: number;
  remote_error: string | null;
  /** The server holds a backup this device has not synced (another device uploaded, or a version was restored). */
  stale: boolean;
  /** A fresh device with no data of its own while the server has a backup: offer to restore it. */
  restore_offer: boolean;
  /** Unix seconds of the first automatic sync failure in a row; 0 when the last attempt worked. */
  auto_sync_failing_since: number;
  /** Why the latest automatic sync failed; null when it worked. */
  auto_sync_error: string | null;
  /** The automatic sync is on and has failed for more than a day: the toolbar warns until it works again. */
  auto_sync_failing_long: boolean;
  /** The folder where a pull keeps the local data it replaces. */
  backups_dir: string;
}

export function syncStatusView(db: UserDb, remote: RemoteKnowledge, backupsDir: string, nowSeconds: number): SyncStatusView {
  const base = readSyncBase(db);
  const backup = remote.checkedAt === 0 ? null : remote.backup;
  const stale = backup !== null && backup.data_hash !== base.hash;
  const empty = isLocalDataEmpty(db);
  const autoSync = readSettings(db).premium_should_sync;
  const health = readAutoSyncHealth(db);
  return {
    last_synced_at: base.syncedAt,
    last_sync_action: base.action,
    pending_changes: hasPendingChanges(db, base) && !(base.hash === '' && empty),
    local_empty: empty,
    auto_sync: autoSync,
    remote: backup,
    remote_checked_at: remote.checkedAt,
    remote_error: remote.error,
    stale,
    restore_offer: stale && base.hash === '' && empty,
    auto_sync_failing_since: health.failingSince,
    auto_sync_error: health.lastError,
    auto_sync_failing_long: autoSync && health.failingSince > 0 && nowSeconds - health.failingSince > AUTO_SYNC_WARN_AFTER_SECONDS,
    backups_dir: backupsDir,
  };
}
