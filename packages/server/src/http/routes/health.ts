import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkReadiness } from '../../domain/system/readiness.ts';
import type { BlobStore } from '../../store/blob-store.ts';
import type { Store } from '../../store/database.ts';

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: Check, migrations: Check, blobStore: Check }),
});
const Closing = z.object({ error: z.string() }).loose().describe('The server is shutting down');

const HEALTH_DOC = { summary: 'The process answers, and with which database', response: { 200: z.object({ status: z.literal('ok'), database: z.string() }), 503: Closing } };
const LIVE_DOC = { summary: 'Liveness: restart the process when this fails', response: { 200: z.object({ status: z.literal('ok') }), 503: Closing } };
const READY_DOC = {
  summary: 'Readiness: database reachable, migrations current, blob store writable',
  response: { 200: Readiness, 503: Readiness.describe('Not ready (or shutting down), with what failed') },
};

export interface HealthOptions {
  store: Store;
  blobs: BlobStore;
}

/**
 * `/health` (unchanged: the process answers, and with which database),
 * `/health/live` (the process is up: restart it when this fails) and
 * `/health/ready` (it can serve: send it traffic only when this is 200).
 * A closing server answers 503 to all three (Fastify's return503OnClosing).
 */
export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const { store, blobs } = options;
  const noStore = { 'cache-control': 'no-store' };

  app.get('/health', { schema: HEALTH_DOC }, async () => ({ status: 'ok', database: store.dialect }));

  app.get('/health/live', { schema: LIVE_DOC }, async (_request, reply) => reply.headers(noStore).send({ status: 'ok' }));

  app.get('/health/ready', { schema: READY_DOC }, async (_request, reply) => {
    const readiness = await checkReadiness(store, blobs);
    return reply
      .code(readiness.ready ? 200 : 503)
      .headers(noStore)
      .send({ status: readiness.ready ? 'ready' : 'unavailable', checks: readiness.checks });
  });
}
