import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  AuthErrorCode,
  Device,
  SERVER_TIME_HEADER,
  decodeApiSecret,
  endpointPath,
  pythonStr,
  signEncoded,
  urlencode,
  type PremiumEndpoint,
  type PythonValue,
} from '@rotki-premium/protocol';
import { z } from 'zod';
import {
  AuthenticationError,
  CREDENTIAL_CODES,
  CredentialsRejectedError,
  DeviceLimitError,
  InvalidApiKeyFormatError,
  InvalidSecretFormatError,
  RemoteError,
  SubscriptionInactiveError,
  type PremiumClientError,
} from './errors.ts';
import { exchange } from './http.ts';
import { ServerClock } from './server-clock.ts';
import { DEFAULT_USER_AGENT } from './version.ts';

/**
 * The signed-request transport: builds a request from the protocol's endpoint
 * catalogue, signs it with the protocol's signing code, sends it, and corrects
 * the clock once when the server refuses the nonce as outside its window.
 * `PremiumClient` and the backup functions both send through here.
 */

/** Where and as whom requests go. `PremiumClient.connection` gives a ready one. */
export interface PremiumConnection {
  /** e.g. `https://premium.example.org`; a path prefix (reverse proxy) is kept. */
  baseUrl: string;
  apiKey: string;
  /** Strict, padded, standard base64; the decoded bytes are the signing key. */
  apiSecret: string;
  /**
   * The device this client runs on. When set, it is added to the signed
   * parameters (before `nonce`) of every request whose endpoint does not
   * already name a device (PROTOCOL.md decision 7), so a removed device is
   * refused at once. Unset or null: no device is named, as the rotki app does.
   */
  deviceIdentifier?: string | null;
  /** Default `rotki-premium-client/<version>`. */
  userAgent?: string;
  /** Default 5000 ms: the limit for connecting and for each wait on the socket. */
  timeoutMs?: number;
  /** Nonce source and clock correction; connections without one share one per server origin. */
  clock?: ServerClock;
}

/** The endpoint's own parameters by name; the transport orders them and adds `device_identifier` and `nonce`. */
export type SignedParams = Readonly<Record<string, PythonValue | undefined>>;

/** The file part of a multipart request (the chunk of a backup upload). */
export interface MultipartFile {
  field: string;
  filename: string;
  data: Uint8Array;
}

export interface SendOptions {
  /** Extra headers, e.g. `Content-Range` on a backup chunk. */
  headers?: Readonly<Record<string, string>>;
  /** Overrides the connection's timeout (backup transfers use 150 s). */
  timeoutMs?: number;
  /** Multipart endpoints only: the file part, sent after the signed text fields. */
  file?: MultipartFile;
  /** When set, a 2xx body is piped here (and the sink ended) instead of being buffered. */
  sink?: Writable;
  signal?: AbortSignal;
}

/** What came back. Any status is returned; `errorFromResponse` turns an unexpected one into a typed error. */
export interface PremiumResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, or empty when it went to `SendOptions.sink`. */
  body: Buffer;
  /** The URL requested, without its query. */
  url: string;
}

/** A request ready to send, with the string it was signed over. */
export interface BuiltRequest {
  method: PremiumEndpoint['httpMethod'];
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** S of PROTOCOL.md §4.2 (urlencode of the signed parameters, in order). */
  signedString: string;
  /** The `API-SIGN` header; null for unsigned endpoints. */
  apiSign: string | null;
}

export const DEFAULT_TIMEOUT_MS = 5_000;

/** Throws the typed format error when the key or secret cannot be used; returns the signing key. */
export function signingKeyOf(apiKey: string, apiSecret: string): Buffer {
  if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new InvalidApiKeyFormatError();
  const secret = decodeApiSecret(apiSecret);
  if (secret === null) throw new InvalidSecretFormatError();
  return secret;
}

/** The full URL of an endpoint under a base URL that may carry a path prefix. */
export function endpointUrl(baseUrl: string, endpoint: PremiumEndpoint): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`The premium server address must start with https:// or http://, not ${url.protocol}`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '') + endpointPath(endpoint);
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * The signed parameters in wire order: the endpoint's own, in catalogue order,
 * then this client's `device_identifier` (unless the endpoint already carries
 * one as its subject), then `nonce`.
 */
export function orderedParams(
  endpoint: PremiumEndpoint,
  params: SignedParams,
  deviceIdentifier: string | null,
  nonce: number | null,
): [string, PythonValue][] {
  for (const name of Object.keys(params)) {
    if (name === 'nonce' || !endpoint.params.includes(name)) {
      throw new TypeError(`"${name}" is not a parameter the caller sets on ${endpointPath(endpoint)}`);
    }
  }
  const pairs: [string, PythonValue][] = [];
  for (const name of endpoint.params) {
    if (name === 'nonce') {
      if (deviceIdentifier !== null && !endpoint.params.includes('device_identifier')) {
        pairs.push(['device_identifier', deviceIdentifier]);
      }
      if (nonce === null) throw new TypeError(`${endpointPath(endpoint)} needs a nonce`);
      pairs.push(['nonce', nonce]);
      continue;
    }
    const value = params[name];
    if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

function multipartBody(pairs: [string, PythonValue][], file: MultipartFile | undefined): { body: Buffer; contentType: string } {
  const boundary = randomBytes(16).toString('hex');
  const parts: Buffer[] = [];
  for (const [name, value] of pairs) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${pythonStr(value)}\r\n`, 'utf8'));
  }
  if (file !== undefined) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n\r\n`, 'utf8'),
      Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
      Buffer.from('\r\n', 'ascii'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'ascii'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Builds (without sending) the request for `endpoint`: URL, headers, body and
 * `API-SIGN`, with `nonce` as given. Exposed so tests can compare it with the
 * protocol's vectors.
 */
export function buildSignedRequest(
  connection: PremiumConnection,
  endpoint: PremiumEndpoint,
  params: SignedParams,
  nonce: number | null,
  options: Pick<SendOptions, 'headers' | 'file'> = {},
): BuiltRequest {
  if (endpoint.signMethod === null) throw new TypeError(`${endpointPath(endpoint)} is not a signed endpoint`);
  if (options.file !== undefined && endpoint.transport !== 'multipart') {
    throw new TypeError(`${endpointPath(endpoint)} does not take a file part`);
  }
  const secret = signingKeyOf(connection.apiKey, connection.apiSecret);
  const url = endpointUrl(connection.baseUrl, endpoint);
  const pairs = orderedParams(endpoint, params, connection.deviceIdentifier ?? null, endpoint.params.includes('nonce') ? nonce : null);
  const signedString = urlencode(pairs);
  const apiSign = signEncoded(secret, endpoint.signMethod, signedString);
  const headers: Record<string, string> = {
    'user-agent': connection.userAgent ?? DEFAULT_USER_AGENT,
    ...options.headers,
    [API_KEY_HEADER]: connection.apiKey,
    [API_SIGN_HEADER]: apiSign,
  };
  let body: Buffer | undefined;
  switch (endpoint.transport) {
    case 'query':
      url.search = signedString === '' ? '' : `?${signedString}`;
      break;
    case 'form':
      body = Buffer.from(signedString, 'utf8');
      headers['content-type'] = 'application/x-www-form-urlencoded';
      break;
    case 'json':
      body = Buffer.from(JSON.stringify(Object.fromEntries(pairs)), 'utf8');
      headers['content-type'] = 'application/json';
      break;
    case 'multipart': {
      const multipart = multipartBody(pairs, options.file);
      body = multipart.body;
      headers['content-type'] = multipart.contentType;
      break;
    }
    case 'none':
      break;
  }
  return { method: endpoint.httpMethod, url, headers, body, signedString, apiSign };
}

const sharedClocks = new Map<string, ServerClock>();

function clockOf(connection: PremiumConnection): ServerClock {
  if (connection.clock !== undefined) return connection.clock;
  const origin = new URL(connection.baseUrl).origin;
  let clock = sharedClocks.get(origin);
  if (clock === undefined) {
    clock = new ServerClock();
    sharedClocks.set(origin, clock);
  }
  return clock;
}

function jsonObjectOf(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The server's time when the response refuses our nonce as outside its window, else null. */
function serverTimeOfNonceRefusal(response: PremiumResponse): number | null {
  if (response.status !== 401 && response.status !== 403) return null;
  const header = response.headers[SERVER_TIME_HEADER];
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\d{1,16}$/.test(text)) return null;
  const code = jsonObjectOf(response.body)?.code;
  if (code !== undefined && code !== AuthErrorCode.NonceOutsideWindow) return null;
  return Number(text);
}

async function sendBuilt(built: BuiltRequest, timeoutMs: number, options: SendOptions): Promise<PremiumResponse> {
  const result = await exchange({
    url: built.url,
    method: built.method,
    headers: built.headers,
    timeoutMs,
    ...(built.body === undefined ? {} : { body: built.body }),
    ...(options.sink === undefined ? {} : { sink: options.sink }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { ...result, url: `${built.url.origin}${built.url.pathname}` };
}

/**
 * Signs and sends one request to `endpoint` with the endpoint's own `params`
 * (the transport adds `device_identifier` and `nonce`). When the server
 * refuses the nonce as outside its window and tells its time, the clock is
 * corrected and the request is sent once more with a fresh nonce.
 *
 * Resolves with any HTTP answer; rejects with `ServerUnreachableError` when
 * none came, and with `InvalidApiKeyFormatError` / `InvalidSecretFormatError`
 * before sending anything when the credentials cannot be used.
 *
 * @example
 * const response = await sendSigned(connection, ENDPOINTS.downloadBackup, {}, { timeoutMs: 150_000, sink });
 * if (response.status !== 200 && response.status !== 404) throw errorFromResponse(response);
 */
export async function sendSigned(
  connection: PremiumConnection,
  endpoint: PremiumEndpoint,
  params: SignedParams = {},
  options: SendOptions = {},
): Promise<PremiumResponse> {
  const clock = clockOf(connection);
  const timeoutMs = options.timeoutMs ?? connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const build = () => buildSignedRequest(connection, endpoint, params, clock.nextNonce(), options);
  const response = await sendBuilt(build(), timeoutMs, options);
  if (!endpoint.params.includes('nonce')) return response;
  const serverTime = serverTimeOfNonceRefusal(response);
  if (serverTime === null) return response;
  clock.adjustTo(serverTime);
  return sendBuilt(build(), timeoutMs, options);
}

/** Where an unsigned request goes (`limits/unlocks` needs no credentials). */
export interface PublicTarget {
  baseUrl: string;
  userAgent?: string;
  timeoutMs?: number;
}

/** Sends a request to an endpoint that takes no signature and no parameters. */
export async function sendUnsigned(target: PublicTarget, endpoint: PremiumEndpoint, options: SendOptions = {}): Promise<PremiumResponse> {
  if (endpoint.signMethod !== null) throw new TypeError(`${endpointPath(endpoint)} must be signed; use sendSigned`);
  const url = endpointUrl(target.baseUrl, endpoint);
  return sendBuilt(
    {
      method: endpoint.httpMethod,
      url,
      headers: { 'user-agent': target.userAgent ?? DEFAULT_USER_AGENT, ...options.headers },
      body: undefined,
      signedString: '',
      apiSign: null,
    },
    options.timeoutMs ?? target.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    options,
  );
}

const DeviceLimitDetail = z.object({ devices: z.array(Device), limit: z.number().int() });

/**
 * The typed error for an answer the caller did not expect: the server's
 * `{"error", "code"}` body decides the class (401/403 → authentication,
 * 422 → device limit, anything else → `RemoteError`).
 */
export function errorFromResponse(response: PremiumResponse): PremiumClientError {
  const text = response.body.toString('utf8');
  const json = jsonObjectOf(response.body);
  const message = typeof json?.error === 'string' && json.error.trim() !== '' ? json.error : null;
  const code = typeof json?.code === 'string' ? json.code : null;
  const { status } = response;
  if (status === 401 || status === 403) {
    const shown = message ?? `The rotki premium server refused the API credentials (HTTP ${status}).`;
    if (code === AuthErrorCode.SubscriptionInactive) return new SubscriptionInactiveError(shown, status, code);
    if (code === null || CREDENTIAL_CODES.has(code)) return new CredentialsRejectedError(shown, status, code);
    return new AuthenticationError(shown, status, code);
  }
  if (status === 422) {
    const detail = DeviceLimitDetail.safeParse(json);
    return new DeviceLimitError(
      message ?? (text.trim() === '' ? 'The device limit of your plan is reached.' : text),
      detail.success ? detail.data.devices : [],
      detail.success ? detail.data.limit : null,
    );
  }
  return new RemoteError(
    message ?? `Unexpected answer from the rotki premium server at ${response.url} (HTTP ${status}).`,
    status,
    text,
    code,
  );
}

/** Parses a JSON answer with a protocol schema; a body of another shape is a `RemoteError`. */
export function parseResponse<T>(response: PremiumResponse, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new RemoteError(
      `Invalid answer from the rotki premium server at ${response.url}: the body is not JSON.`,
      response.status,
      response.body.toString('utf8'),
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new RemoteError(
      `Invalid answer from the rotki premium server at ${response.url}: ${issue?.message ?? 'unexpected shape'}${where}.`,
      response.status,
      response.body.toString('utf8'),
    );
  }
  return parsed.data;
}
