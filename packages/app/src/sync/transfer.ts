import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupErrorCode } from '@rotki-premium/protocol';
import {
  BackupBaseMismatchError,
  BackupQuotaExceededError,
  RemoteError,
  downloadBackup,
  uploadBackup,
  type PremiumClient,
} from '@rotki-premium/client';
import { AppError, texts } from '../errors.ts';

type Connection = PremiumClient['connection'];

function scratchFile(dir: string, purpose: string): string {
  return join(dir, `.${purpose}-${randomBytes(6).toString('hex')}.tmp`);
}

export interface UploadBlobOptions {
  lastModifyTs: number;
  /**
   * The server backup this data was last synced from ('' for none): the
   * server refuses the upload when it holds another one. Undefined only for
   * a forced upload the user agreed to.
   */
  baseHash: string | undefined;
  onChunk: (chunk: number, total: number, bytes: number) => void;
  /** Unix seconds now, for the conflict message ("3 minutes ago"). */
  nowSeconds: number;
  /** The user's Cancel: stops the transfer between and within chunks. */
  signal?: AbortSignal;
}

/**
 * Sends the encrypted blob from memory (no scratch file: the client hashes
 * it and sends views of it) with the client's chunked upload; reports
 * (chunk i, of n, bytes sent). Returns the number of chunks and the hash the
 * server now reports as `data_hash`. A refused base becomes `sync_conflict`
 * with the server's current backup in its details.
 */
export async function uploadBlob(connection: Connection, blob: Buffer, options: UploadBlobOptions): Promise<{ chunks: number; hash: string }> {
  try {
    const result = await uploadBackup(connection, blob, {
      lastModifyTs: options.lastModifyTs,
      ...(options.baseHash === undefined ? {} : { baseHash: options.baseHash }),
      onProgress: (p) => options.onChunk(p.chunk, p.chunkCount, p.bytesSent),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    options.onChunk(result.chunkCount, result.chunkCount, result.totalBytes);
    return { chunks: result.chunkCount, hash: result.fileHash };
  } catch (error) {
    if (error instanceof BackupQuotaExceededError) {
      throw new AppError('upload_not_allowed', `Upload failed. ${error.message}`);
    }
    if (error instanceof BackupBaseMismatchError) {
      throw new AppError('sync_conflict', texts.syncConflict(error.current, options.nowSeconds), { current: error.current });
    }
    if (error instanceof RemoteError && error.code === BackupErrorCode.UploadReplaced) {
      throw new AppError('sync_in_progress', texts.uploadReplaced());
    }
    throw error;
  }
}

/** The stored blob and its SHA-256 (the server's `data_hash`), or null when the server has none. */
export async function downloadBlob(
  connection: Connection,
  onBytes: (bytes: number, total: number) => void,
  dir: string = tmpdir(),
): Promise<{ blob: Buffer; hash: string } | null> {
  const path = scratchFile(dir, 'download');
  try {
    const result = await downloadBackup(connection, path, {
      onProgress: (p) => onBytes(p.bytesReceived, p.totalBytes ?? p.bytesReceived),
    });
    return result === null ? null : { blob: readFileSync(path), hash: result.sha256 };
  } finally {
    rmSync(path, { force: true });
  }
}
