import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ServerUnreachableError } from './errors.ts';

/**
 * One HTTP exchange over node:http / node:https. Not `fetch`: the premium API
 * needs a body on some GET requests, which fetch refuses to send.
 */
export interface HttpExchange {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Limit for connecting and for each wait on the socket (as the rotki app applies its timeout). */
  timeoutMs: number;
  /** When set, a 2xx body is piped here (and the sink ended) instead of being buffered. */
  sink?: Writable;
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, or empty when it went to the sink. */
  body: Buffer;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_)/;

/** A sentence for the user about why no answer came. */
function reasonOf(error: NodeJS.ErrnoException, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running, and is the address right?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found (check the server address and your network)';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was closed by the server';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'network unreachable';
  if (TLS_CODES.test(code)) return `TLS certificate not accepted (${error.message})`;
  return error.message;
}

async function readBody(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function exchange(request: HttpExchange): Promise<HttpResult> {
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = String(request.body.length);
  const shownUrl = `${request.url.origin}${request.url.pathname}`;

  return new Promise<HttpResult>((resolve, reject) => {
    let timedOut = false;
    const fail = (error: unknown) => {
      if (request.signal?.aborted === true) {
        reject(request.signal.reason ?? error);
        return;
      }
      if (error instanceof ServerUnreachableError) {
        reject(error);
        return;
      }
      const errno = error as NodeJS.ErrnoException;
      reject(new ServerUnreachableError(shownUrl, reasonOf(errno, request.timeoutMs, timedOut), { cause: error }));
    };

    const outgoing = send(request.url, {
      method: request.method,
      headers,
      timeout: request.timeoutMs,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    outgoing.on('timeout', () => {
      timedOut = true;
      outgoing.destroy(new Error('timeout'));
    });
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const result = (body: Buffer): HttpResult => ({ status, headers: response.headers, body });
      if (request.sink !== undefined && status >= 200 && status < 300) {
        let connectionFailed = false;
        response.once('aborted', () => (connectionFailed = true));
        response.once('error', () => (connectionFailed = true));
        pipeline(response, request.sink).then(
          () => resolve(result(Buffer.alloc(0))),
          // A failing sink (a full disk, say) is the caller's error, not an unreachable server.
          (error: unknown) => (connectionFailed || timedOut ? fail(error) : reject(error)),
        );
      } else {
        readBody(response).then((body) => resolve(result(body)), fail);
      }
    });
    outgoing.end(request.body);
  });
}
