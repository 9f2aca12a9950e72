import type { Writable } from 'node:stream';
import { AuthErrorCode, SERVER_TIME_HEADER, endpointPath, type PremiumEndpoint } from '@rotki-premium/protocol';
import { exchange } from './http.ts';
import { jsonObjectOf, type PremiumResponse } from './premium-response.ts';
import { ServerClock } from './server-clock.ts';
import { buildSignedRequest, endpointUrl, type BuiltRequest, type PremiumConnection, type RequestAdditions, type SignedParams } from './signed-request.ts';
import { DEFAULT_USER_AGENT } from './version.ts';

/**
 * The signed-request transport: sends a request built by `signed-request.ts`
 * (endpoint catalogue, protocol signing code), and corrects the clock once
 * when the server refuses the nonce as outside its window.
 * `PremiumClient` and the backup functions both send through here.
 */

export interface SendOptions extends RequestAdditions {
  /** Overrides the connection's timeout (backup transfers use 150 s). */
  timeoutMs?: number;
  /** When set, a 2xx body is piped here (and the sink ended) instead of being buffered. */
  sink?: Writable;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 5_000;

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
