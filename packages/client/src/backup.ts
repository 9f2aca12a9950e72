import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  BackupErrorCode,
  ENDPOINTS,
  UPLOAD_CHUNK_SIZE,
  UploadStartedResponse,
  pythonStr,
} from '@rotki-premium/protocol';
import { BACKUP_TIMEOUT_MS, buffered, clockOf, exchangeStreamed, jsonField, serverTimeOf, signedHead, type StreamedRequest } from './backup-exchange.ts';
import { BackupFileError, uploadError } from './backup-errors.ts';
import { ServerUnreachableError } from './errors.ts';
import { blockPool, bufferRangeBody, fileRangeBody, hashFile, type RequestBody } from './upload-body.ts';
import { parseResponse, type PremiumResponse } from './premium-response.ts';
import type { PremiumConnection, SignedParams } from './signed-request.ts';

/**
 * Backup transfer (PROTOCOL.md §5): the chunked, streamed upload; the
 * download is in `backup-download.ts`. Requests are signed by the transport
 * (`buildSignedRequest`); the bodies are streamed from and to disk, so
 * memory stays flat whatever the backup size.
 */

export interface UploadProgress {
  /** Bytes of the file sent so far (a retried chunk counts again from its start). */
  bytesSent: number;
  totalBytes: number;
  /** 1-based number of the chunk being sent. */
  chunk: number;
  chunkCount: number;
}

export interface UploadBackupOptions {
  /** Unix seconds: when the local data was last written (rotki's `last_write_ts`). */
  lastModifyTs: number;
  /** Default `zlib`, the only value the rotki app sends. */
  compression?: string;
  onProgress?: (progress: UploadProgress) => void;
  /** Default 10,000,000 bytes, the rotki app's chunk size. */
  chunkSize?: number;
  /**
   * Standard base64 SHA-256 of the file when the caller already has it (e.g.
   * computed while writing the file); saves one read of the file. The server
   * checks it against the bytes it receives either way.
   */
  fileHash?: string;
  /**
   * Compare-and-swap: the `data_hash` of the server backup the local data was
   * last synced from ('' when it never was). The server then refuses the
   * upload with `BackupBaseMismatchError` if its backup is another one.
   * Leave it out to replace whatever is there (a forced push; the rotki app's behaviour).
   */
  baseHash?: string;
  /** Per socket wait; default 150 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UploadBackupResult {
  /** Standard base64 SHA-256 of the file, as the server now reports it as `data_hash`. */
  fileHash: string;
  totalBytes: number;
  chunkCount: number;
}

/** The file part of a chunk's body, between the text fields (`head`) and the closing boundary (`tail`). */
type ChunkBody = (head: Buffer, tail: Buffer, start: number, end: number, pool: Buffer[], onBytes: (bytes: number) => void) => RequestBody;

/** The request of one chunk: text fields in the rotki app's order, then the file part streamed from disk or memory. */
function chunkRequest(
  connection: PremiumConnection,
  nonce: number,
  params: SignedParams,
  start: number,
  end: number,
  total: number,
  body: ChunkBody,
  pool: Buffer[],
  onBytes: (bytes: number) => void,
): StreamedRequest {
  const endpoint = ENDPOINTS.uploadBackupChunk;
  const { built, pairs } = signedHead(connection, endpoint, params, nonce, { 'content-range': `bytes ${start}-${end}/${total}` });
  const boundary = randomBytes(16).toString('hex');
  const fields = pairs.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${pythonStr(value)}\r\n`);
  const head = Buffer.from(`${fields.join('')}--${boundary}\r\nContent-Disposition: form-data; name="chunk_data"; filename="chunk"\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'ascii');
  return {
    method: built.method,
    url: built.url,
    headers: { ...built.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: body(head, tail, start, end, pool, onBytes),
  };
}

/** Size, SHA-256 and chunk bodies of a source: a file (read for each chunk) or bytes in memory. */
async function sourceOf(source: string | Buffer, options: UploadBackupOptions): Promise<{ totalBytes: number; fileHash: string; body: ChunkBody }> {
  if (typeof source !== 'string') {
    if (source.length === 0) throw new BackupFileError('The backup is empty');
    return {
      totalBytes: source.length,
      fileHash: options.fileHash ?? createHash('sha256').update(source).digest('base64'),
      body: (head, tail, start, end, _pool, onBytes) => bufferRangeBody(head, source.subarray(start, end + 1), tail, onBytes),
    };
  }
  let totalBytes: number;
  try {
    totalBytes = (await stat(source)).size;
  } catch (error) {
    throw new BackupFileError(`Cannot read the backup file ${source}: ${(error as Error).message}`, { cause: error });
  }
  if (totalBytes === 0) throw new BackupFileError(`The backup file ${source} is empty`);
  const changed = () => new BackupFileError(`${source} changed while it was being uploaded`);
  return {
    totalBytes,
    fileHash: options.fileHash ?? (await hashFile(source, options.signal)),
    body: (head, tail, start, end, pool, onBytes) => fileRangeBody(pool, head, source, start, end, tail, onBytes, changed),
  };
}

/**
 * Uploads a backup (the encrypted blob, a file or bytes in memory) in 10,000,000-byte chunks, as
 * the rotki app does: each chunk signed afresh, retried once with a new
 * signature when the server does not accept it, never retried on 413.
 * Resolves when the server has switched the account's backup to this file.
 *
 * Throws `BackupQuotaExceededError` (with the plan's limit),
 * `BackupHashRejectedError`, `ServerUnreachableError`, `BackupFileError`, or
 * the transport's typed errors (credentials refused, `RemoteError`).
 *
 * @example
 * await uploadBackup(client.connection, '/path/to/backup.bin', { lastModifyTs: 1700000000, onProgress: console.log });
 */
export async function uploadBackup(
  connection: PremiumConnection,
  source: string | Buffer,
  options: UploadBackupOptions,
): Promise<UploadBackupResult> {
  const chunkSize = options.chunkSize ?? UPLOAD_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new TypeError('chunkSize must be a whole number of bytes above 0');
  if (!Number.isSafeInteger(options.lastModifyTs) || options.lastModifyTs < 0) throw new TypeError('lastModifyTs must be Unix seconds');
  const { totalBytes, fileHash, body } = await sourceOf(source, options);
  const chunkCount = Math.ceil(totalBytes / chunkSize);
  const clock = clockOf(connection);
  const timeoutMs = options.timeoutMs ?? BACKUP_TIMEOUT_MS;
  let uploadId: string | null = null;
  // A file is read into these; a failed request may still hold them, so a retry takes new ones.
  const freshPool = () => (typeof source === 'string' ? blockPool() : []);
  let pool = freshPool();

  for (let index = 0; index < chunkCount; index += 1) {
    const start = index * chunkSize;
    const end = Math.min(start + chunkSize, totalBytes) - 1;
    const last = index === chunkCount - 1;
    const params: SignedParams = {
      file_hash: fileHash,
      last_modify_ts: options.lastModifyTs,
      compression: options.compression ?? 'zlib',
      total_size: totalBytes,
      upload_id: uploadId ?? undefined,
      base_hash: index === 0 ? options.baseHash : undefined,
    };
    const progress = (bytes: number) =>
      options.onProgress?.({ bytesSent: start + bytes, totalBytes, chunk: index + 1, chunkCount });

    let response: PremiumResponse | null = null;
    let unreachable: ServerUnreachableError | null = null;
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const request = chunkRequest(connection, clock.nextNonce(), params, start, end, totalBytes, body, pool, progress);
      try {
        response = await buffered(await exchangeStreamed(request, timeoutMs, options.signal), request.url);
        unreachable = null;
      } catch (error) {
        // The socket may not be done with the buffers of a request it dropped.
        pool = freshPool();
        if (error instanceof ServerUnreachableError) {
          unreachable = error;
          continue;
        }
        throw error;
      }
      if (response.status === (last ? 200 : 206)) break;
      pool = freshPool();
      // 413 and a refused hash are final; anything else is sent once more with a fresh signature (PROTOCOL.md §5.2).
      const code = jsonField(response.body, 'code');
      if (response.status === 413 || code === BackupErrorCode.HashMismatch || code === BackupErrorCode.BaseMismatch) break;
      const serverTime = serverTimeOf(response);
      if (serverTime !== null) clock.adjustTo(serverTime);
    }
    if (unreachable !== null) throw unreachable;
    if (response === null) throw new Error('internal error: no response');
    if (response.status !== (last ? 200 : 206)) throw uploadError(response);
    if (index === 0 && !last) uploadId = String(parseResponse(response, UploadStartedResponse).upload_id);
  }
  return { fileHash, totalBytes, chunkCount };
}

export { BACKUP_TIMEOUT_MS } from './backup-exchange.ts';
export { downloadBackup, type DownloadBackupOptions, type DownloadBackupResult } from './backup-download.ts';
