import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  ENDPOINTS,
  decodeApiSecret,
  endpointPath,
  pythonStr,
  signParams,
  type PythonValue,
} from '@rotki-premium/protocol';
import { USER_AGENT, freshNonce, prepare, type Credentials, type HttpResult } from './rotki-app.ts';

/**
 * `backup/range` and `backup` requests byte for byte as the rotki app sends
 * them with requests/urllib3 (PROTOCOL.md §4.5, §5.2): a 32-hex boundary, the
 * text fields in the app's order, then `chunk_data` with filename `chunk` and
 * no part Content-Type.
 */

export function sha256Base64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

export interface ChunkFields {
  fileHash: string;
  lastModifyTs: number | string;
  compression?: string;
  totalSize: number | string;
  uploadId?: string;
  /** Our client's compare-and-swap field (issue 9); the rotki app never sends it. */
  baseHash?: string;
}

/** The signed text fields in the app's order (without the nonce, added last). */
export function chunkPairs(fields: ChunkFields): [string, PythonValue][] {
  const pairs: [string, PythonValue][] = [
    ['file_hash', fields.fileHash],
    ['last_modify_ts', fields.lastModifyTs],
    ['compression', fields.compression ?? 'zlib'],
    ['total_size', fields.totalSize],
  ];
  if (fields.uploadId !== undefined) pairs.push(['upload_id', fields.uploadId]);
  if (fields.baseHash !== undefined) pairs.push(['base_hash', fields.baseHash]);
  return pairs;
}

export interface ChunkRequestOptions {
  /** The file part's field name (default `chunk_data`); null sends no file part. */
  fileField?: string | null;
  /** Content-Range as sent; null sends none. */
  contentRange?: string | null;
}

export interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A signed multipart chunk request. `range` is [first, last] inclusive, with `fields.totalSize` as total. */
export function prepareChunk(
  credentials: Credentials,
  fields: ChunkFields,
  range: [number, number],
  data: Buffer,
  options: ChunkRequestOptions = {},
): RawRequest {
  const pairs = [...chunkPairs(fields), ['nonce', freshNonce()] as [string, PythonValue]];
  const secret = decodeApiSecret(credentials.apiSecret);
  if (secret === null) throw new Error('test credentials hold a secret that is not base64');
  const boundary = randomBytes(16).toString('hex');
  const parts: Buffer[] = pairs.map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${pythonStr(value)}\r\n`, 'utf8'),
  );
  const fileField = options.fileField === undefined ? 'chunk_data' : options.fileField;
  if (fileField !== null) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="chunk"\r\n\r\n`, 'utf8'), data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const contentRange = options.contentRange === undefined ? `bytes ${range[0]}-${range[1]}/${fields.totalSize}` : options.contentRange;
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    accept: '*/*',
    'content-type': `multipart/form-data; boundary=${boundary}`,
    [API_KEY_HEADER]: credentials.apiKey,
    [API_SIGN_HEADER]: signParams(secret, 'backup/range', pairs),
  };
  if (contentRange !== null) headers['content-range'] = contentRange;
  return { path: endpointPath(ENDPOINTS.uploadBackupChunk), headers, body: Buffer.concat(parts) };
}

export interface BinaryResult extends HttpResult {
  bytes: Buffer;
}

export function sendRaw(baseUrl: string, method: string, request: RawRequest): Promise<BinaryResult> {
  const url = new URL(request.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, headers: { ...request.headers, 'content-length': String(request.body.length) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers as IncomingHttpHeaders, text, json, bytes });
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Sends one chunk as the rotki app does and returns the answer. */
export function postChunk(
  baseUrl: string,
  credentials: Credentials,
  fields: ChunkFields,
  range: [number, number],
  data: Buffer,
  options: ChunkRequestOptions = {},
): Promise<BinaryResult> {
  return sendRaw(baseUrl, 'POST', prepareChunk(credentials, fields, range, data, options));
}

/** `GET /nest/1/backup?nonce=…`, the body as bytes. */
export function getBackup(baseUrl: string, credentials: Credentials): Promise<BinaryResult> {
  const prepared = prepare(credentials, ENDPOINTS.downloadBackup);
  return sendRaw(baseUrl, 'GET', { path: prepared.path, headers: prepared.headers, body: Buffer.alloc(0) });
}

/**
 * The rotki app's whole chunked upload of `data` (chunks of `chunkSize`
 * bytes), expecting 206 for every chunk but the last and 200 for the last.
 * Returns every answer.
 */
export async function uploadAsRotki(
  baseUrl: string,
  credentials: Credentials,
  data: Buffer,
  options: { chunkSize: number; lastModifyTs?: number; fileHash?: string },
): Promise<BinaryResult[]> {
  const fields: ChunkFields = {
    fileHash: options.fileHash ?? sha256Base64(data),
    lastModifyTs: options.lastModifyTs ?? 1_700_000_000,
    totalSize: data.length,
  };
  const answers: BinaryResult[] = [];
  for (let start = 0; start < data.length; start += options.chunkSize) {
    const end = Math.min(start + options.chunkSize, data.length) - 1;
    const answer = await postChunk(baseUrl, credentials, fields, [start, end], data.subarray(start, end + 1));
    answers.push(answer);
    if (answer.status !== (end === data.length - 1 ? 200 : 206)) break;
    if (start === 0 && answer.status === 206) fields.uploadId = String((answer.json as { upload_id: unknown }).upload_id);
  }
  return answers;
}

export interface PartialRequest {
  /** Resolves once the head and the first `sentBytes` bytes of the body are written. */
  written: Promise<void>;
  /** Resolves once the connection is closed, by us or by the server. */
  closed: Promise<void>;
  destroy(): void;
}

/**
 * Sends the head of a chunk request and only the first `sentBytes` bytes of
 * its body, then stalls: the rest never comes.
 */
export function sendPartially(baseUrl: string, request: RawRequest, sentBytes: number): PartialRequest {
  const url = new URL(baseUrl);
  const head = [
    `POST ${request.path} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries({ ...request.headers, 'content-length': String(request.body.length) }).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  const socket = connect(Number(url.port), url.hostname);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const written = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(head);
      socket.write(request.body.subarray(0, sentBytes), () => resolve());
    });
  });
  socket.on('error', () => undefined);
  return { written, closed, destroy: () => socket.destroy() };
}

/** A client that goes away mid-chunk: sends part of the body, then drops the connection. */
export async function postChunkAndDisconnect(baseUrl: string, request: RawRequest, sentBytes: number): Promise<void> {
  const partial = sendPartially(baseUrl, request, sentBytes);
  await partial.written;
  // Give the server a moment to start consuming the file part before the connection drops.
  await new Promise((resolve) => setTimeout(resolve, 50));
  partial.destroy();
  await partial.closed;
}
