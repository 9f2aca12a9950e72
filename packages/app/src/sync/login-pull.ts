import { statSync } from 'node:fs';
import { AppError, texts } from '../errors.ts';
import type { UserSettings } from '../local/settings.ts';
import type { UserDb } from '../local/user-db.ts';
import { readSyncBase } from './sync-base.ts';
import type { SyncService } from './sync-service.ts';
import type { SyncOutcome } from './sync-types.ts';

/** The answer to `sync_approval`: ask (default), pull the remote backup, or keep the local data. */
export type SyncApproval = 'unknown' | 'yes' | 'no';

/**
 * Login stops to ask: the server holds a backup this device has not synced,
 * changed after the local data (HTTP 300 in the local API). The sizes are
 * rotki's fields; they cannot be compared (a database file against a
 * compressed, encrypted blob), so the UI does not show them.
 */
export class SyncApprovalNeeded extends Error {
  readonly payload: {
    local_last_modified: number;
    remote_last_modified: number;
    local_size: number;
    remote_size: number;
    /** Unix seconds: when the server's backup was uploaded. */
    remote_upload_ts: number;
    /** "Work laptop (Linux)"; null when the server does not say. */
    remote_uploaded_by: string | null;
    /** Unix seconds of this device's last sync; 0 when never. */
    local_last_synced: number;
  };

  constructor(payload: SyncApprovalNeeded['payload']) {
    super(texts.remoteNewer());
    this.name = 'SyncApprovalNeeded';
    this.payload = payload;
  }
}

/**
 * The pull at login (PROTOCOL.md §5.5), with the switch on and premium
 * active: when the server holds a backup this device has not synced and its
 * data changed after the local data, asks first (`unknown` throws
 * `SyncApprovalNeeded`), pulls on `yes`, keeps the local data on `no`.
 * Returns what happened, or null when nothing was pulled.
 */
export async function pullAtLogin(
  sync: SyncService,
  db: UserDb,
  settings: UserSettings,
  approval: SyncApproval,
  dbPath: string,
): Promise<SyncOutcome | null> {
  if (!settings.premium_should_sync || approval === 'no') return null;
  const remote = sync.remote.backup;
  const base = readSyncBase(db);
  // Nothing to ask when this device already has the server's backup (whatever the clocks say).
  if (remote === null || remote.data_hash === base.hash || settings.last_write_ts >= remote.last_modify_ts) return null;
  if (approval === 'unknown') {
    throw new SyncApprovalNeeded({
      local_last_modified: settings.last_write_ts,
      remote_last_modified: remote.last_modify_ts,
      local_size: statSync(dbPath).size,
      remote_size: remote.data_size,
      remote_upload_ts: remote.upload_ts,
      remote_uploaded_by: remote.uploaded_by,
      local_last_synced: base.syncedAt,
    });
  }
  try {
    return await sync.download(() => {});
  } catch (error) {
    // A wrong password stops the login; any other failure of this pull is only reported (as in rotki).
    if (error instanceof AppError && error.kind === 'remote_password_mismatch') throw error;
    return sync.lastOutcome;
  }
}
