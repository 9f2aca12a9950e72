import type { FastifyInstance } from 'fastify';
import { checkReadiness } from '../../domain/system/readiness.ts';
import type { BlobStore } from '../../store/blob-store.ts';
import type { Store } from '../../store/database.ts';

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

  app.get('/health', async () => ({ status: 'ok', database: store.dialect }));

  app.get('/health/live', async (_request, reply) => reply.headers(noStore).send({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    const readiness = await checkReadiness(store, blobs);
    return reply
      .code(readiness.ready ? 200 : 503)
      .headers(noStore)
      .send({ status: readiness.ready ? 'ready' : 'unavailable', checks: readiness.checks });
  });
}
