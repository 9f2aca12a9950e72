import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { messages } from '@rotki-premium/protocol';

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

function readStream(request: FastifyRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.raw.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.raw.destroy();
        reject(new BodyError(413, 'Request body is too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.raw.on('end', () => resolve(Buffer.concat(chunks)));
    request.raw.on('error', reject);
  });
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
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(new BodyError(400, messages.invalidRequest('the body is not valid JSON')), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
  });

  app.addHook('preValidation', async (request) => {
    if (request.method !== 'GET' || request.routeOptions.config.readGetBody !== true) return;
    const length = request.headers['content-length'];
    const chunked = request.headers['transfer-encoding'] !== undefined;
    if ((length === undefined || length === '0') && !chunked) {
      request.rawBody = Buffer.alloc(0);
      return;
    }
    request.rawBody = await readStream(request, options.getBodyLimit);
  });
}

export default fp(rawBodyPlugin, { name: 'raw-body', fastify: '5.x' });
