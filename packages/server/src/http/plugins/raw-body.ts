import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MAX_JSON_DEPTH, exceedsJsonDepth, messages } from '@rotki-premium/protocol';
import { prependRouteHook } from './route-hooks.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received (JSON and form bodies, and GET bodies on routes that read them). */
    rawBody?: Buffer;
  }
  interface FastifyContextConfig {
    /** Read a form-encoded body on a GET route (the rotki app sends some GETs with a body). */
    readGetBody?: boolean;
  }
}

export class BodyError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * Reads a body up to `limit` bytes. Past it, answers 413 and lets Node's HTTP
 * server discard the rest, so the client reads the answer instead of a reset.
 */
function readStream(request: FastifyRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.raw.off('data', onData);
        request.raw.resume();
        reject(new BodyError(413, messages.requestTooLarge(limit)));
        return;
      }
      chunks.push(chunk);
    };
    request.raw.on('data', onData);
    request.raw.on('end', () => resolve(Buffer.concat(chunks)));
    request.raw.on('error', reject);
  });
}

/** Parses a JSON body after checking its nesting (one linear pass), so no later walk of it can exhaust the stack. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (exceedsJsonDepth(bytes)) {
    throw new BodyError(400, messages.invalidRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`));
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BodyError(400, messages.invalidRequest('the body is not valid JSON'));
  }
}

/**
 * Keeps the raw bytes of JSON and form bodies next to the parsed value, and
 * reads GET bodies where a route asks for it (Fastify ignores them otherwise).
 * Signature verification hashes or re-encodes these bytes.
 */
async function rawBodyPlugin(app: FastifyInstance, options: { getBodyLimit: number }): Promise<void> {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    request.rawBody = bytes;
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJsonBody(bytes));
    } catch (error) {
      done(error as BodyError, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
  });

  // Only on the routes that ask for it; the HEAD twin of such a GET route reads none.
  app.addHook('onRoute', (route) => {
    if (route.config?.readGetBody !== true) return;
    prependRouteHook(route, 'preValidation', async (request: FastifyRequest) => {
      if (request.method !== 'GET') return;
      const length = request.headers['content-length'];
      const chunked = request.headers['transfer-encoding'] !== undefined;
      if ((length === undefined || length === '0') && !chunked) {
        request.rawBody = Buffer.alloc(0);
        return;
      }
      if (Number(length) > options.getBodyLimit) {
        request.raw.resume();
        throw new BodyError(413, messages.requestTooLarge(options.getBodyLimit));
      }
      request.rawBody = await readStream(request, options.getBodyLimit);
    });
  });
}

export default fp(rawBodyPlugin, { name: 'raw-body', fastify: '5.x' });
