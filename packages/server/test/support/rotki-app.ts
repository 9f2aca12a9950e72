import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  ENDPOINTS,
  decodeApiSecret,
  endpointPath,
  signParams,
  urlencode,
  type PremiumEndpoint,
  type PythonValue,
} from '@rotki-premium/protocol';

/**
 * Builds premium requests byte for byte as the rotki app does (PROTOCOL.md §2,
 * §4.5): query strings for `params=`, form bodies on GET for `data=`, and
 * `json.dumps` bodies for `json=`, each signed over the same ordered pairs.
 */

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Pairs = readonly (readonly [string, PythonValue])[];

export interface PreparedRequest {
  method: HttpMethod;
  /** Path and query string. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The API-SIGN sent, when signed. */
  sign?: string;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export const USER_AGENT = 'rotki/1.44.0';

let lastNonce = 0;

/**
 * Milliseconds since the epoch, strictly increasing in this process, so two
 * requests built in the same millisecond never share a nonce (and so never
 * look like a replay of each other).
 */
export function freshNonce(): number {
  lastNonce = Math.max(Date.now(), lastNonce + 1);
  return lastNonce;
}

function pythonJsonString(text: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters as Python does;
  // ensure_ascii then writes everything outside printable ASCII as lowercase \uXXXX
  // (UTF-16 units, so astral characters become surrogate pairs).
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, `ensure_ascii`. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = value instanceof Map ? [...(value as Map<string, unknown>)] : Object.entries(value as object);
  return `{${entries.map(([k, v]) => `${pythonJsonString(String(k))}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

export interface PrepareOptions {
  /** The nonce to send; a fresh one by default; `'omit'` sends none. */
  nonce?: number | 'omit';
  /** Another HTTP method on the same route (watchers PUT/PATCH/DELETE). */
  method?: HttpMethod;
}

/**
 * A signed request for `endpoint` with `params` (without the nonce, which is
 * appended last as the app does). `credentials` null builds an unsigned request.
 */
export function prepare(
  credentials: Credentials | null,
  endpoint: PremiumEndpoint,
  params: Pairs = [],
  options: PrepareOptions = {},
): PreparedRequest {
  const pairs: (readonly [string, PythonValue])[] = [...params];
  const usesNonce = endpoint.signMethod !== null && endpoint.signMethod !== 'watchers' && options.nonce !== 'omit';
  if (usesNonce) pairs.push(['nonce', options.nonce === undefined ? freshNonce() : options.nonce]);
  const method = options.method ?? endpoint.httpMethod;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
  let path = endpointPath(endpoint);
  let body: string | undefined;
  switch (endpoint.transport) {
    case 'query':
      path += `?${urlencode(pairs)}`;
      break;
    case 'form':
      body = urlencode(pairs);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      break;
    case 'json':
      body = pythonJsonDumps(new Map(pairs));
      headers['content-type'] = 'application/json';
      break;
    default:
      break;
  }
  const prepared: PreparedRequest = { method, path, headers, ...(body === undefined ? {} : { body }) };
  if (credentials !== null && endpoint.signMethod !== null) {
    const secret = decodeApiSecret(credentials.apiSecret);
    if (secret === null) throw new Error('test credentials hold a secret that is not base64');
    prepared.sign = signParams(secret, endpoint.signMethod, pairs);
    headers[API_KEY_HEADER] = credentials.apiKey;
    headers[API_SIGN_HEADER] = prepared.sign;
  }
  return prepared;
}

/** Sends a prepared request over real HTTP (GET bodies included, which `fetch` cannot send). */
export function send(baseUrl: string, prepared: PreparedRequest): Promise<HttpResult> {
  const url = new URL(prepared.path, baseUrl);
  const body = prepared.body === undefined ? undefined : Buffer.from(prepared.body, 'utf8');
  const headers = { ...prepared.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: prepared.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Prepares and sends in one call. */
export function call(
  baseUrl: string,
  credentials: Credentials | null,
  endpoint: PremiumEndpoint,
  params: Pairs = [],
  options: PrepareOptions = {},
): Promise<HttpResult> {
  return send(baseUrl, prepare(credentials, endpoint, params, options));
}

/** A 64-hex device identifier, as py-machineid produces. */
export function deviceId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** The registration parameters the app sends, in its order. */
export function registration(identifier: string, name: string, platform = 'Linux'): Pairs {
  return [
    ['device_identifier', identifier],
    ['device_name', name],
    ['platform', platform],
  ];
}

export { ENDPOINTS };
