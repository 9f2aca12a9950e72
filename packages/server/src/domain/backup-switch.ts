import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupErrorCode, messages } from '@rotki-premium/protocol';
import type { BackupRow, BackupUploadRow } from '../store/backups.table.ts';
import { BlobMissingError, type StoredChunks } from '../store/blob-store.ts';
import { lockAccount } from '../store/database.ts';
import { baseMatches, baseMismatch, uploadReplaced } from './backup-checks.ts';
import { forgetHash, runningDigest } from './backup-hashes.ts';
import { retireBackup } from './backup-history.ts';
import { discard, failUpload, purge } from './backup-upload-removal.ts';
import { parseChunks, replacedMeanwhile } from './backup-uploads.ts';
import { BackupError, type Backups, type ChunkOutcome } from './backups.ts';

async function hashStored(b: Backups, row: BackupUploadRow, chunks: StoredChunks): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of await b.blobs.readUpload(row.temp_ref, chunks)) hash.update(block as Buffer);
  return hash.digest('base64');
}

/**
 * The last chunk is in: verify the hash, seal the data, then switch the
 * account's backup to it in one transaction. Until that commit, downloads and
 * metadata show the previous backup; the previous blob stays for the grace
 * period, then the sweep removes it.
 */
export async function completeUpload(b: Backups, row: BackupUploadRow, keep: number): Promise<ChunkOutcome> {
  const { ctx, blobs } = b;
  const chunks = parseChunks(row.chunk_ends);
  let digest: string;
  try {
    digest = (await runningDigest(b, row.id, Number(row.expected_size))) ?? (await hashStored(b, row, chunks));
  } catch (error) {
    if (await replacedMeanwhile(b, row)) throw uploadReplaced();
    throw error;
  }
  if (digest !== row.file_hash) {
    await failUpload(b, row);
    throw new BackupError(400, BackupErrorCode.HashMismatch, messages.backupHashMismatch());
  }

  let blobRef: string;
  try {
    blobRef = await blobs.seal(row.temp_ref, chunks);
  } catch (error) {
    // Another upload of the account started meanwhile and abandoned this one, removing its data.
    if (await replacedMeanwhile(b, row)) throw uploadReplaced();
    // Stored chunks are missing or of the wrong size: this upload cannot complete, the client starts again.
    if (error instanceof BlobMissingError) await discard(b, row);
    throw error;
  }
  if (b.policy.pauseBeforeSwitchMs > 0) {
    b.log.warn({ uploadId: row.id, pauseMs: b.policy.pauseBeforeSwitchMs }, 'test hook: pausing before the backup switch');
    await sleep(b.policy.pauseBeforeSwitchMs);
  }

  const now = ctx.clock.now();
  const accountId = Number(row.account_id);
  const outcome = await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    const previous = await trx.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!baseMatches(row.base_hash, row.file_hash, previous)) {
      // The backup changed since this upload started (a restore or a deletion on the website): refused, nothing replaced.
      const refused = await trx
        .updateTable('backup_uploads')
        .set({ state: 'discarded', updated_at: now, expires_at: now })
        .where('id', '=', row.id)
        .where('state', '=', 'open')
        .executeTakeFirst();
      if (Number(refused.numUpdatedRows) === 1) return { conflict: previous };
    }
    const taken = await trx
      .deleteFrom('backup_uploads')
      .where('id', '=', row.id)
      .where('state', '=', 'open')
      .returning('id')
      .executeTakeFirst();
    if (taken === undefined) {
      // A concurrent copy of this last chunk switched already, or the upload was abandoned or swept.
      return previous?.upload_id === row.id ? 'already_switched' : 'gone';
    }
    const backup: BackupRow = {
      account_id: accountId,
      upload_id: row.id,
      blob_ref: blobRef,
      sha256: row.file_hash,
      size: Number(row.expected_size),
      compression: row.compression,
      last_modify_ts: Number(row.last_modify_ts),
      upload_ts: now,
      device_name: row.device_name,
      device_platform: row.device_platform,
      user_agent: row.user_agent,
    };
    if (previous === undefined) {
      await trx.insertInto('backups').values(backup).execute();
    } else {
      await trx.updateTable('backups').set(backup).where('account_id', '=', accountId).execute();
      // The replaced backup joins the history; versions beyond the tier's count wait for removal.
      await retireBackup(trx, blobs, previous, keep, now, b.policy.supersededGraceMs);
    }
    return 'switched';
  });
  forgetHash(b, row.id);
  if (typeof outcome === 'object') {
    await purge(b, [row]);
    throw baseMismatch(outcome.conflict);
  }
  if (outcome === 'gone') {
    await purge(b, [{ id: row.id, temp_ref: row.temp_ref }]).catch(() => 0);
    throw new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
  }
  if (outcome !== 'switched') return { status: 'complete', uploadId: row.id };
  b.log.info({ accountId, uploadId: row.id, size: Number(row.expected_size) }, 'backup stored');
  return { status: 'complete', uploadId: row.id, stored: { size: Number(row.expected_size), uploadMs: now - Number(row.created_at) } };
}
