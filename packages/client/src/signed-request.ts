import { randomBytes } from 'node:crypto';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  decodeApiSecret,
  endpointPath,
  pythonStr,
  signEncoded,
  urlencode,
  type PremiumEndpoint,
  type PythonValue,
} from '@rotki-premium/protocol';
import { InvalidApiKeyFormatError, InvalidSecretFormatError } from './errors.ts';
import type { ServerClock } from './server-clock.ts';
import { DEFAULT_USER_AGENT } from './version.ts';

/**
 * Building a signed request from the protocol's endpoint catalogue: the
 * signed parameters in wire order, the body the endpoint's transport asks
 * for, and `API-SIGN` made with the protocol's signing code. Nothing is sent
 * here (`transport.ts` sends).
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

/** What a caller adds to a signed request besides its parameters. */
export interface RequestAdditions {
  /** Extra headers, e.g. `Content-Range` on a backup chunk. */
  headers?: Readonly<Record<string, string>>;
  /** Multipart endpoints only: the file part, sent after the signed text fields. */
  file?: MultipartFile;
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
  options: RequestAdditions = {},
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
