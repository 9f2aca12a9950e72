import { BackupErrorCode, messages } from '@rotki-premium/protocol';
import type { BackupRow, BackupUploadRow } from '../store/backups.table.ts';
import { currentOf } from './backup-current.ts';
import { BackupError, type ChunkInput, type Uploader } from './backups.ts';

/** Why a chunk is refused: the plan's quota, the compare-and-swap base, a changed or replaced upload. */

/** `max_backup_size_mb` counts MiB (PROTOCOL.md decision 3). */
export const MIB = 1_048_576;

export function quotaBytes(maxBackupSizeMb: number): number {
  return maxBackupSizeMb * MIB;
}

/** Decision 3: 413 as soon as `total_size` exceeds the plan's limit (a 0 MiB plan has no backups). */
export function assertWithinQuota(uploader: Uploader, totalSize: number): void {
  if (totalSize <= quotaBytes(uploader.maxBackupSizeMb)) return;
  throw new BackupError(
    413,
    BackupErrorCode.QuotaExceeded,
    messages.backupQuotaExceeded(uploader.maxBackupSizeMb, uploader.tierName, totalSize),
    { max_backup_size_mb: uploader.maxBackupSizeMb, tier: uploader.tierName },
  );
}

/**
 * Compare-and-swap: an upload that names its base replaces the current backup
 * only if that is the base (or if it carries the very same bytes).
 */
export function baseMatches(baseHash: string | null, fileHash: string, current: BackupRow | undefined): boolean {
  if (baseHash === null) return true;
  const currentHash = current?.sha256 ?? '';
  return currentHash === baseHash || currentHash === fileHash;
}

/** 409 with what the server holds now, so the client can say which device uploaded it and when. */
export function baseMismatch(current: BackupRow | undefined): BackupError {
  return new BackupError(409, BackupErrorCode.BaseMismatch, messages.backupBaseMismatch(), { current: currentOf(current) });
}

export function uploadReplaced(): BackupError {
  return new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
}

/** Same file, same upload: every chunk must repeat the first chunk's fields. */
export function checkSameUpload(row: BackupUploadRow, input: ChunkInput): void {
  const changed =
    row.file_hash !== input.fileHash
      ? 'file_hash'
      : Number(row.expected_size) !== input.totalSize
        ? 'total_size'
        : Number(row.last_modify_ts) !== input.lastModifyTs
          ? 'last_modify_ts'
          : row.compression !== input.compression
            ? 'compression'
            : null;
  if (changed !== null) throw new BackupError(400, BackupErrorCode.InvalidChunk, messages.backupUploadChanged(changed));
}

/** The last chunk of an upload refused for its hash, sent again while that outcome is kept. */
export function isResentFailedChunk(row: BackupUploadRow, input: ChunkInput, now: number): boolean {
  return (
    row.state === 'discarded' &&
    Number(row.expires_at) > now &&
    Number(row.bytes_received) === Number(row.expected_size) &&
    input.end + 1 === Number(row.expected_size) &&
    input.fileHash === row.file_hash
  );
}
