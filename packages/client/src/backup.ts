import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  BACKUP_DIGEST_HEADER,
  BackupCurrent,
  BackupErrorCode,
  ENDPOINTS,
  SERVER_TIME_HEADER,
  UPLOAD_CHUNK_SIZE,
  UploadStartedResponse,
  pythonStr,
  urlencode,
  type PremiumEndpoint,
} from '@rotki-premium/protocol';
import { DownloadDigest, type DownloadProgress } from './download-digest.ts';
export type { DownloadProgress } from './download-digest.ts';
import { PremiumClientError, RemoteError, ServerUnreachableError } from './errors.ts';
import { blockPool, fileRangeBody, hashFile, type RequestBody } from './upload-body.ts';
import { ServerClock } from './server-clock.ts';
import { errorFromResponse, parseResponse, type PremiumResponse } from './premium-response.ts';
import { buildSignedRequest, orderedParams, type PremiumConnection, type SignedParams } from './signed-request.ts';

/**
 * Backup transfer (PROTOCOL.md §5): a chunked, streamed upload and a streamed
 * download. Requests are signed by the transport (`buildSignedRequest`); the
 * bodies are streamed from and to disk here, so memory stays flat whatever
 * the backup size.
 */

/** The rotki app waits this long for each backup response (150 s). */
export const BACKUP_TIMEOUT_MS = 150_000;

const READ_BLOCK = 1024 * 1024;

/** The server refused the upload with 413: the backup is larger than the plan allows. */
export class BackupQuotaExceededError extends RemoteError {
  /** The plan's limit in MiB, when the server names it. */
  readonly limitMb: number | null;
  /** The plan's name, when the server names it. */
  readonly tier: string | null;

  constructor(message: string, status: number, body: string, limitMb: number | null, tier: string | null) {
    super(message, status, body, BackupErrorCode.QuotaExceeded);
    this.limitMb = limitMb;
    this.tier = tier;
  }
}

/**
 * The server refused the upload because its backup is not the one `baseHash`
 * names (another device uploaded, or a version was restored or deleted on the
 * website). Nothing was replaced; `current` is what the server holds now.
 */
export class BackupBaseMismatchError extends RemoteError {
  readonly current: BackupCurrent;

  constructor(message: string, status: number, body: string, current: BackupCurrent) {
    super(message, status, body, BackupErrorCode.BaseMismatch);
    this.current = current;
  }
}

/** The server refused the completed upload: the bytes it received do not match their SHA-256. The previous backup is kept. */
export class BackupHashRejectedError extends RemoteError {}

/** The local file cannot be uploaded (missing, unreadable or empty), or a download could not be written or checked. */
export class BackupFileError extends PremiumClientError {}

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

export interface DownloadBackupOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Per socket wait; default 150 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DownloadBackupResult {
  path: string;
  size: number;
  /** Standard base64 SHA-256 of the bytes written. */
  sha256: string;
}

/** A request on the wire: headers built by the transport, the body streamed by us. */
interface StreamedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: RequestBody | null;
}

function reasonOf(error: NodeJS.ErrnoException, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  if (error.code === 'ECONNREFUSED') return 'connection refused (is the server running, and is the address right?)';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return 'the connection was closed by the server';
  return error.message;
}

interface Exchange {
  response: IncomingMessage;
  /** Call once the response is consumed: drops the connection if the server answered before taking the whole body. */
  finish(): void;
}

/** Sends the request and resolves with the response head; the caller reads or pipes the body. */
function exchangeStreamed(request: StreamedRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<Exchange> {
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const shownUrl = `${request.url.origin}${request.url.pathname}`;
  const headers = { ...request.headers };
  if (request.body !== null) headers['content-length'] = String(request.body.length);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      if (signal?.aborted === true) reject(signal.reason ?? error);
      else reject(new ServerUnreachableError(shownUrl, reasonOf(error as NodeJS.ErrnoException, timeoutMs, timedOut), { cause: error }));
    };
    const outgoing = send(request.url, { method: request.method, headers, timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) });
    outgoing.on('timeout', () => {
      timedOut = true;
      outgoing.destroy(new Error('timeout'));
    });
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      settled = true;
      response.on('error', () => undefined);
      resolve({
        response,
        finish() {
          if (outgoing.writableFinished) return;
          outgoing.destroy();
        },
      });
    });
    if (request.body === null) {
      outgoing.end();
    } else {
      request.body.send(outgoing).then(
        () => outgoing.end(),
        (error: unknown) => outgoing.destroy(error as Error),
      );
    }
  });
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of response) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function buffered(exchange: Exchange, url: URL): Promise<PremiumResponse> {
  const { response } = exchange;
  const body = await readAll(response).catch(() => Buffer.alloc(0));
  exchange.finish();
  return { status: response.statusCode ?? 0, headers: response.headers, body, url: `${url.origin}${url.pathname}` };
}

function jsonField(body: Buffer, key: string): unknown {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** The server's time when it refused our nonce as outside its window (it says so in a header), else null. */
function serverTimeOf(response: { status: number; headers: IncomingHttpHeaders }): number | null {
  if (response.status !== 401 && response.status !== 403) return null;
  const header = response.headers[SERVER_TIME_HEADER];
  const text = Array.isArray(header) ? header[0] : header;
  return text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : null;
}

function clockOf(connection: PremiumConnection): ServerClock {
  return connection.clock ?? new ServerClock();
}

/** Signs with the transport and checks that the text fields we stream are the ones it signed. */
function signedHead(
  connection: PremiumConnection,
  endpoint: PremiumEndpoint,
  params: SignedParams,
  nonce: number,
  headers: Record<string, string>,
) {
  const built = buildSignedRequest(connection, endpoint, params, nonce, { headers });
  const pairs = orderedParams(endpoint, params, connection.deviceIdentifier ?? null, nonce);
  if (urlencode(pairs) !== built.signedString) throw new Error('internal error: streamed fields differ from the signed ones');
  return { built, pairs };
}

/** The request of one chunk: text fields in the rotki app's order, then the file part streamed from disk. */
function chunkRequest(
  connection: PremiumConnection,
  nonce: number,
  params: SignedParams,
  source: string,
  start: number,
  end: number,
  total: number,
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
    body: fileRangeBody(pool, head, source, start, end, tail, onBytes, () => new BackupFileError(`${source} changed while it was being uploaded`)),
  };
}

function uploadError(response: PremiumResponse): PremiumClientError {
  const code = jsonField(response.body, 'code');
  if (response.status === 413) {
    const limit = jsonField(response.body, 'max_backup_size_mb');
    const tier = jsonField(response.body, 'tier');
    const message = jsonField(response.body, 'error');
    return new BackupQuotaExceededError(
      typeof message === 'string' && message !== '' ? message : 'Size limit reached: the backup is larger than your plan allows.',
      response.status,
      response.body.toString('utf8'),
      typeof limit === 'number' ? limit : null,
      typeof tier === 'string' ? tier : null,
    );
  }
  if (code === BackupErrorCode.BaseMismatch) {
    const message = jsonField(response.body, 'error');
    const current = BackupCurrent.safeParse(jsonField(response.body, 'current'));
    if (current.success) {
      return new BackupBaseMismatchError(
        typeof message === 'string' ? message : 'The server holds another backup than the one this data was synced from.',
        response.status,
        response.body.toString('utf8'),
        current.data,
      );
    }
  }
  if (code === BackupErrorCode.HashMismatch) {
    const message = jsonField(response.body, 'error');
    return new BackupHashRejectedError(
      typeof message === 'string' ? message : 'The server refused the backup: its SHA-256 does not match.',
      response.status,
      response.body.toString('utf8'),
      code,
    );
  }
  return errorFromResponse(response);
}

/**
 * Uploads a backup file (the encrypted blob) in 10,000,000-byte chunks, as
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
  source: string,
  options: UploadBackupOptions,
): Promise<UploadBackupResult> {
  const chunkSize = options.chunkSize ?? UPLOAD_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new TypeError('chunkSize must be a whole number of bytes above 0');
  if (!Number.isSafeInteger(options.lastModifyTs) || options.lastModifyTs < 0) throw new TypeError('lastModifyTs must be Unix seconds');
  let totalBytes: number;
  try {
    totalBytes = (await stat(source)).size;
  } catch (error) {
    throw new BackupFileError(`Cannot read the backup file ${source}: ${(error as Error).message}`, { cause: error });
  }
  if (totalBytes === 0) throw new BackupFileError(`The backup file ${source} is empty`);
  const fileHash = options.fileHash ?? (await hashFile(source, options.signal));
  const chunkCount = Math.ceil(totalBytes / chunkSize);
  const clock = clockOf(connection);
  const timeoutMs = options.timeoutMs ?? BACKUP_TIMEOUT_MS;
  let uploadId: string | null = null;
  let pool = blockPool();

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
      const request = chunkRequest(connection, clock.nextNonce(), params, source, start, end, totalBytes, pool, progress);
      try {
        response = await buffered(await exchangeStreamed(request, timeoutMs, options.signal), request.url);
        unreachable = null;
      } catch (error) {
        // The socket may not be done with the buffers of a request it dropped.
        pool = blockPool();
        if (error instanceof ServerUnreachableError) {
          unreachable = error;
          continue;
        }
        throw error;
      }
      if (response.status === (last ? 200 : 206)) break;
      pool = blockPool();
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

function digestOf(headers: IncomingHttpHeaders): string | null {
  const header = headers[BACKUP_DIGEST_HEADER];
  const text = Array.isArray(header) ? header[0] : header;
  const match = text === undefined ? null : /sha-256=:([A-Za-z0-9+/]+=*):/.exec(text);
  return match?.[1] ?? null;
}

/**
 * Downloads the account's backup to `destinationPath`: streamed into a
 * temporary file beside it, flushed to disk, checked against Content-Length
 * and the server's SHA-256, then renamed over the destination. Resolves with
 * null, and leaves the destination alone, when the server has no backup.
 *
 * @example
 * const result = await downloadBackup(client.connection, '/path/to/backup.bin');
 * if (result === null) console.log('No backup on the server');
 */
export async function downloadBackup(
  connection: PremiumConnection,
  destinationPath: string,
  options: DownloadBackupOptions = {},
): Promise<DownloadBackupResult | null> {
  const clock = clockOf(connection);
  const timeoutMs = options.timeoutMs ?? BACKUP_TIMEOUT_MS;
  let response: IncomingMessage | null = null;
  let url: URL | null = null;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const { built } = signedHead(connection, ENDPOINTS.downloadBackup, {}, clock.nextNonce(), {});
    url = built.url;
    const exchange = await exchangeStreamed({ method: built.method, url: built.url, headers: built.headers, body: null }, timeoutMs, options.signal);
    response = exchange.response;
    if (response.statusCode === 200) break;
    const answer = await buffered(exchange, built.url);
    if (answer.status === 404) return null;
    const serverTime = serverTimeOf(answer);
    if (attempt === 2 || serverTime === null) throw errorFromResponse(answer);
    clock.adjustTo(serverTime);
  }
  if (response === null || url === null) throw new Error('internal error: no response');

  const lengthHeader = response.headers['content-length'];
  const total = lengthHeader === undefined ? null : Number(lengthHeader);
  const expectedDigest = digestOf(response.headers);
  const temporary = join(dirname(destinationPath), `.${basename(destinationPath)}.${randomBytes(6).toString('hex')}.part`);
  const file = createWriteStream(temporary, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: READ_BLOCK });
  let fileError: Error | null = null;
  file.on('error', (error) => {
    fileError = error;
  });
  const meter = new DownloadDigest(temporary, file, total, options.onProgress);
  try {
    try {
      // Counted (and hashed, when small) beside the pipe to the file: no stream stage in between.
      response.on('data', (block: Buffer) => meter.received(block));
      await pipeline(response, file);
    } catch (error) {
      if (fileError !== null) throw new BackupFileError(`Cannot write ${temporary}: ${(fileError as Error).message}`, { cause: fileError });
      if (options.signal?.aborted === true) throw error;
      throw new ServerUnreachableError(`${url.origin}${url.pathname}`, 'the download was interrupted', { cause: error });
    }
    if (total !== null && meter.bytes !== total) {
      throw new ServerUnreachableError(`${url.origin}${url.pathname}`, `the download ended after ${meter.bytes} of ${total} bytes`);
    }
    const sha256 = await meter.digest();
    if (expectedDigest !== null && expectedDigest !== sha256) {
      throw new BackupFileError('The downloaded backup does not match the SHA-256 the server announced; nothing was written.');
    }
    await rename(temporary, destinationPath);
    return { path: destinationPath, size: meter.bytes, sha256 };
  } catch (error) {
    await meter.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}
