import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { BACKUP_DIGEST_HEADER, ENDPOINTS } from '@rotki-premium/protocol';
import { BACKUP_TIMEOUT_MS, clockOf, reasonOf, serverTimeOf, signedHead } from './backup-exchange.ts';
import { BackupFileError } from './backup-errors.ts';
import { DownloadDigest, FileAppender, type DownloadProgress } from './download-digest.ts';
import { ServerUnreachableError } from './errors.ts';
import { errorFromResponse } from './premium-response.ts';
import { rawGet, type RawResponse } from './raw-get.ts';
import type { PremiumConnection } from './signed-request.ts';

/**
 * The backup download (PROTOCOL.md §5): one signed GET whose body is
 * streamed into a temporary file, flushed, checked and renamed.
 */

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

function digestOf(headers: IncomingHttpHeaders): string | null {
  const header = headers[BACKUP_DIGEST_HEADER];
  const text = Array.isArray(header) ? header[0] : header;
  const match = text === undefined ? null : /sha-256=:([A-Za-z0-9+/]+=*):/.exec(text);
  return match?.[1] ?? null;
}

/** The request, worded as the rest of the client words an unreachable server. */
async function request(url: URL, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal | undefined): Promise<RawResponse> {
  try {
    return await rawGet(url, headers, timeoutMs, signal);
  } catch (error) {
    if (signal?.aborted === true) throw error;
    const timedOut = (error as { timedOut?: boolean }).timedOut === true;
    throw new ServerUnreachableError(`${url.origin}${url.pathname}`, reasonOf(error as NodeJS.ErrnoException, timeoutMs, timedOut), { cause: error });
  }
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
  let response: RawResponse | null = null;
  let url: URL | null = null;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const { built } = signedHead(connection, ENDPOINTS.downloadBackup, {}, clock.nextNonce(), {});
    url = built.url;
    response = await request(built.url, built.headers, timeoutMs, options.signal);
    if (response.status === 200) break;
    const body = await response.readAll().catch(() => Buffer.alloc(0));
    const answer = { status: response.status, headers: response.headers, body, url: `${url.origin}${url.pathname}` };
    if (answer.status === 404) return null;
    const serverTime = serverTimeOf(answer);
    if (attempt === 2 || serverTime === null) throw errorFromResponse(answer);
    clock.adjustTo(serverTime);
  }
  if (response === null || url === null) throw new Error('internal error: no response');
  const shownUrl = `${url.origin}${url.pathname}`;

  const lengthHeader = response.headers['content-length'];
  const total = lengthHeader === undefined ? null : Number(lengthHeader);
  const expectedDigest = digestOf(response.headers);
  const temporary = join(dirname(destinationPath), `.${basename(destinationPath)}.${randomBytes(6).toString('hex')}.part`);
  let handle: FileHandle | null = null;
  let meter: DownloadDigest | null = null;
  try {
    try {
      handle = await open(temporary, 'wx', 0o600);
    } catch (error) {
      throw new BackupFileError(`Cannot write ${temporary}: ${(error as Error).message}`, { cause: error });
    }
    const digest = new DownloadDigest(temporary, total, options.onProgress);
    meter = digest;
    const file = new FileAppender(handle, (written) => digest.written(written));
    try {
      await response.stream((block) => {
        digest.received(block);
        return file.append(block);
      });
    } catch (error) {
      if (file.error !== null) throw new BackupFileError(`Cannot write ${temporary}: ${file.error.message}`, { cause: file.error });
      if (options.signal?.aborted === true) throw options.signal.reason;
      throw new ServerUnreachableError(shownUrl, 'the download was interrupted', { cause: error });
    }
    if (total !== null && digest.bytes !== total) {
      throw new ServerUnreachableError(shownUrl, `the download ended after ${digest.bytes} of ${total} bytes`);
    }
    try {
      // Durable before it takes the destination's name.
      await handle.sync();
      await handle.close();
      handle = null;
    } catch (error) {
      throw new BackupFileError(`Cannot write ${temporary}: ${(error as Error).message}`, { cause: error });
    }
    const sha256 = await digest.digest();
    if (expectedDigest !== null && expectedDigest !== sha256) {
      throw new BackupFileError('The downloaded backup does not match the SHA-256 the server announced; nothing was written.');
    }
    await rename(temporary, destinationPath);
    return { path: destinationPath, size: digest.bytes, sha256 };
  } catch (error) {
    response.close();
    await meter?.destroy();
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
