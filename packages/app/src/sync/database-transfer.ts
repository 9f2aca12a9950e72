import { createHash } from 'node:crypto';
import type { PremiumClient } from '@rotki-premium/client';
import { formatBytes, plural } from '@rotki-premium/protocol/wording';
import { AppError, texts } from '../errors.ts';
import { loadCredentials } from '../local/credentials.ts';
import { setCache } from '../local/user-db.ts';
import { userDir, type OpenUser } from '../local/user-store.ts';
import { decryptBackup, encryptBackup, exportDatabase, replaceDatabase } from './backup-blob.ts';
import { currentWriteMark, readSyncBase, recordSyncBase, type WriteMark } from './sync-base.ts';
import type { RemoteKnowledge } from './sync-status.ts';
import type { SyncOutcome, SyncProgress } from './sync-types.ts';
import { downloadBlob, uploadBlob } from './transfer.ts';

/**
 * The steps of one transfer of the user's database (PROTOCOL.md §5.5):
 * export → zlib → AES-256-GCM with the password-derived key → chunked
 * upload, and the reverse with an integrity check and an atomic swap.
 * `SyncService` runs them one at a time and keeps the state around them.
 */

export type Connection = PremiumClient['connection'];

/** Cache key: Unix seconds of the last upload attempt (manual or automatic), for the hourly automatic upload. */
export const LAST_UPLOAD_ATTEMPT = 'last_data_upload_ts';

/** What a transfer step works with. */
export interface TransferContext {
  user: OpenUser;
  connection: Connection;
  nowSeconds(): number;
  /** Shows where the transfer is (kept as the current progress and passed to the listener). */
  report(progress: SyncProgress): void;
}

/** Encrypts the database and sends it; a Cancel that came too late to stop the upload is reported as the upload it was. */
export async function exportAndUpload(
  context: TransferContext,
  force: boolean,
  signal: AbortSignal,
  refreshRemote: () => Promise<RemoteKnowledge>,
): Promise<SyncOutcome> {
  const { user } = context;
  const base = { action: 'upload' as const, chunk: 0, total_chunks: 0, bytes: 0, total_bytes: 0 };
  context.report({ ...base, phase: 'exporting' });
  const mark = currentWriteMark(user.db);
  const plain = await exportDatabase(user);
  signal.throwIfAborted();
  context.report({ ...base, phase: 'encrypting' });
  const blob = await encryptBackup(plain, user.password);
  signal.throwIfAborted();
  try {
    return await sendBlob(context, blob, mark, force, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
    return afterCancel(context, blob, mark, force, refreshRemote);
  }
}

/**
 * A Cancel that came while the last chunk was being answered may find the
 * server already switched: then say so (and record it), never "cancelled".
 */
async function afterCancel(
  context: TransferContext,
  blob: Buffer,
  mark: WriteMark,
  force: boolean,
  refreshRemote: () => Promise<RemoteKnowledge>,
): Promise<SyncOutcome> {
  const hash = createHash('sha256').update(blob).digest('base64');
  const remote = await refreshRemote();
  if (remote.error === null && remote.backup?.data_hash === hash) {
    recordSyncBase(context.user.db, 'upload', hash, context.nowSeconds(), mark);
    return {
      action: 'upload',
      result: true,
      message: `The upload had finished before it could be cancelled: ${force ? 'the backup on the server was replaced' : 'the backup is on the server'} (${formatBytes(blob.length)}).`,
      finished_at: context.nowSeconds(),
      bytes: blob.length,
    };
  }
  throw new AppError('sync_cancelled', texts.uploadCancelled());
}

/** Uploads an encrypted backup and records it as the data's sync base. */
export async function sendBlob(context: TransferContext, blob: Buffer, mark: WriteMark, force: boolean, signal?: AbortSignal): Promise<SyncOutcome> {
  const { user } = context;
  setCache(user.db, LAST_UPLOAD_ATTEMPT, String(context.nowSeconds()));
  const { chunks, hash } = await uploadBlob(context.connection, blob, {
    lastModifyTs: mark.writeTs,
    baseHash: force ? undefined : readSyncBase(user.db).hash,
    onChunk: (chunk, total, bytes) =>
      context.report({ action: 'upload', phase: 'uploading', chunk, total_chunks: total, bytes, total_bytes: blob.length }),
    nowSeconds: context.nowSeconds(),
    ...(signal === undefined ? {} : { signal }),
  });
  recordSyncBase(user.db, 'upload', hash, context.nowSeconds(), mark);
  return {
    action: 'upload',
    result: true,
    message: `${force ? 'Backup uploaded, replacing the one on the server' : 'Backup uploaded'}: ${formatBytes(blob.length)} in ${plural(chunks, 'chunk')}.`,
    finished_at: context.nowSeconds(),
    bytes: blob.length,
    chunks,
  };
}

/** Downloads, decrypts and swaps in the server's backup, keeping the previous database beside it and the premium keys in it. */
export async function downloadAndReplace(context: TransferContext, nowMs: () => number): Promise<SyncOutcome> {
  const { user } = context;
  const base = { action: 'download' as const, chunk: 0, total_chunks: 0, bytes: 0, total_bytes: 0 };
  context.report({ ...base, phase: 'downloading' });
  const downloaded = await downloadBlob(
    context.connection,
    (bytes, total) => context.report({ ...base, phase: 'downloading', bytes, total_bytes: total }),
    userDir(user.dataDir, user.name),
  );
  if (downloaded === null) return { action: 'download', result: false, message: texts.noRemoteBackup(), finished_at: context.nowSeconds() };
  const { blob } = downloaded;
  context.report({ ...base, phase: 'decrypting', bytes: blob.length, total_bytes: blob.length });
  const sqlite = await decryptBackup(blob, user.password);
  context.report({ ...base, phase: 'replacing', bytes: blob.length, total_bytes: blob.length });
  const keep = loadCredentials(user.db, user.key);
  const kept = await replaceDatabase(user, sqlite, keep, nowMs());
  recordSyncBase(user.db, 'download', downloaded.hash, context.nowSeconds());
  return {
    action: 'download',
    result: true,
    message: `Downloaded the backup from the rotki server (${formatBytes(blob.length)}). The previous local database was kept as ${kept}.`,
    finished_at: context.nowSeconds(),
    bytes: blob.length,
    kept_backup: kept,
  };
}
