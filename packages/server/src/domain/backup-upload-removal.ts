import type { BackupUploadRow } from '../store/backups.table.ts';
import { forgetHash } from './backup-hashes.ts';
import type { Backups } from './backups.ts';

/**
 * Removing upload data: abandoned, failed and expired uploads (the data first,
 * then the row), and an account's unfinished uploads (the rows first).
 */

/** Removes the data of discarded uploads, then their rows. Failures are left to the next sweep. */
export async function purge(b: Backups, rows: readonly Pick<BackupUploadRow, 'id' | 'temp_ref'>[]): Promise<number> {
  let purged = 0;
  for (const row of rows) {
    forgetHash(b, row.id);
    try {
      await b.blobs.removeUpload(row.temp_ref);
      await b.ctx.store.db.deleteFrom('backup_uploads').where('id', '=', row.id).where('state', '=', 'discarded').execute();
      purged += 1;
    } catch (error) {
      b.log.warn({ err: error, uploadId: row.id }, 'could not remove backup upload data; the next sweep retries');
    }
  }
  return purged;
}

/** Marks an upload discarded (so no chunk is accepted for it any more) and removes its data now. */
export async function discard(b: Backups, row: BackupUploadRow): Promise<void> {
  const now = b.ctx.clock.now();
  await b.ctx.store.db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now })
    .where('id', '=', row.id)
    .execute();
  await purge(b, [row]);
}

/**
 * An upload whose data did not match its `file_hash`: the data goes now, the
 * row stays until the upload would have expired, so that the app's automatic
 * resend of the last chunk gets the same answer (issue 8) instead of
 * "Unknown or expired upload_id".
 */
export async function failUpload(b: Backups, row: BackupUploadRow): Promise<void> {
  const now = b.ctx.clock.now();
  await b.ctx.store.db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now + b.policy.uploadTtlMs })
    .where('id', '=', row.id)
    .execute();
  forgetHash(b, row.id);
  await b.blobs.removeUpload(row.temp_ref).catch((error: unknown) => {
    b.log.warn({ err: error, uploadId: row.id }, 'could not remove backup upload data; the next sweep retries');
  });
}

export interface SweepOptions {
  /** Also remove open uploads idle for at least this long (default: the upload TTL). 0 removes every open upload. */
  idleMs?: number;
}

/**
 * Removes expired and idle open uploads, abandoned and failed ones, and
 * replaced backups past their grace period: the data first, then the row.
 * Safe to run from several instances at once. Returns how many were removed.
 */
export async function sweepBackupUploads(b: Backups, options: SweepOptions = {}): Promise<number> {
  const { db } = b.ctx.store;
  const now = b.ctx.clock.now();
  const idleMs = options.idleMs ?? b.policy.uploadTtlMs;
  // Discard first, so that a chunk arriving meanwhile is refused rather than written into removed data.
  await db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now })
    .where('state', '=', 'open')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('updated_at', '<=', now - idleMs)]))
    .execute();
  const due = await db
    .selectFrom('backup_uploads')
    .select(['id', 'temp_ref'])
    .where('state', '=', 'discarded')
    .where('expires_at', '<=', now)
    .execute();
  const removed = await purge(b, due);
  for (const [id, state] of b.hashes) {
    if (state.touchedAt <= now - b.policy.uploadTtlMs) forgetHash(b, id);
  }
  if (removed > 0) b.log.info({ removed }, 'backup sweep removed upload data');
  return removed;
}

/**
 * Removes an account's unfinished uploads: the rows first (so nothing points
 * at bytes being removed), then the bytes. A crash between the two leaves
 * bytes nothing names, never a row naming missing bytes.
 */
export async function deleteAccountUploads(b: Backups, accountId: number): Promise<number> {
  const { db } = b.ctx.store;
  const uploads = await db.deleteFrom('backup_uploads').where('account_id', '=', accountId).returning('temp_ref').execute();
  for (const upload of uploads) await b.blobs.removeUpload(upload.temp_ref);
  return uploads.length;
}
