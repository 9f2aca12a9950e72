import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SERVER_TIME_HEADER, urlencode, type PremiumEndpoint } from '@rotki-premium/protocol';
import { ServerUnreachableError } from './errors.ts';
import type { PremiumResponse } from './premium-response.ts';
import { ServerClock } from './server-clock.ts';
import { buildSignedRequest, orderedParams, type PremiumConnection, type SignedParams } from './signed-request.ts';
import type { RequestBody } from './upload-body.ts';

/**
 * A backup request on the wire: signed by the transport's request builder,
 * its body streamed by us, its answer read by the caller. The upload's chunks
 * go through `exchangeStreamed`; the download (`backup-download.ts`) reads
 * its own socket (`raw-get.ts`) and shares the signing and the wording here.
 */

/** The rotki app waits this long for each backup response (150 s). */
export const BACKUP_TIMEOUT_MS = 150_000;

/** A request on the wire: headers built by the transport, the body streamed by us. */
export interface StreamedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: RequestBody;
}

export function reasonOf(error: NodeJS.ErrnoException, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  if (error.code === 'ECONNREFUSED') return 'connection refused (is the server running, and is the address right?)';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return 'the connection was closed by the server';
  return error.message;
}

export interface Exchange {
  response: IncomingMessage;
  /** Call once the response is consumed: drops the connection if the server answered before taking the whole body. */
  finish(): void;
}

/** Sends the request and resolves with the response head; the caller reads the body. */
export function exchangeStreamed(request: StreamedRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<Exchange> {
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const shownUrl = `${request.url.origin}${request.url.pathname}`;
  const headers = { ...request.headers };
  headers['content-length'] = String(request.body.length);
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
    request.body.send(outgoing).then(
      () => outgoing.end(),
      (error: unknown) => outgoing.destroy(error as Error),
    );
  });
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of response) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function buffered(exchange: Exchange, url: URL): Promise<PremiumResponse> {
  const { response } = exchange;
  const body = await readAll(response).catch(() => Buffer.alloc(0));
  exchange.finish();
  return { status: response.statusCode ?? 0, headers: response.headers, body, url: `${url.origin}${url.pathname}` };
}

export function jsonField(body: Buffer, key: string): unknown {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** The server's time when it refused our nonce as outside its window (it says so in a header), else null. */
export function serverTimeOf(response: { status: number; headers: IncomingHttpHeaders }): number | null {
  if (response.status !== 401 && response.status !== 403) return null;
  const header = response.headers[SERVER_TIME_HEADER];
  const text = Array.isArray(header) ? header[0] : header;
  return text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : null;
}

export function clockOf(connection: PremiumConnection): ServerClock {
  return connection.clock ?? new ServerClock();
}

/** Signs with the transport and checks that the text fields we stream are the ones it signed. */
export function signedHead(
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
