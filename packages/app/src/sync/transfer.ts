import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupQuotaExceededError, downloadBackup, uploadBackup, type PremiumClient } from '@rotki-premium/client';
import { AppError } from '../errors.ts';

type Connection = PremiumClient['connection'];

function scratchFile(dir: string, purpose: string): string {
  return join(dir, `.${purpose}-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Sends the encrypted blob with the client's chunked upload; reports
 * (chunk i, of n, bytes sent). Returns the number of chunks.
 */
export async function uploadBlob(
  connection: Connection,
  blob: Buffer,
  lastModifyTs: number,
  onChunk: (chunk: number, total: number, bytes: number) => void,
  dir: string = tmpdir(),
): Promise<number> {
  const path = scratchFile(dir, 'upload');
  writeFileSync(path, blob, { mode: 0o600 });
  try {
    const result = await uploadBackup(connection, path, {
      lastModifyTs,
      onProgress: (p) => onChunk(p.chunk, p.chunkCount, p.bytesSent),
    });
    onChunk(result.chunkCount, result.chunkCount, result.totalBytes);
    return result.chunkCount;
  } catch (error) {
    if (error instanceof BackupQuotaExceededError) {
      throw new AppError('upload_not_allowed', `Upload failed. ${error.message}`);
    }
    throw error;
  } finally {
    rmSync(path, { force: true });
  }
}

/** The stored blob, or null when the server has none. */
export async function downloadBlob(
  connection: Connection,
  onBytes: (bytes: number, total: number) => void,
  dir: string = tmpdir(),
): Promise<Buffer | null> {
  const path = scratchFile(dir, 'download');
  try {
    const result = await downloadBackup(connection, path, {
      onProgress: (p) => onBytes(p.bytesReceived, p.totalBytes ?? p.bytesReceived),
    });
    return result === null ? null : readFileSync(path);
  } finally {
    rmSync(path, { force: true });
  }
}
