import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppCore } from '../app-core.ts';
import errorHandler from './plugins/error-handler.ts';
import localOnly from './plugins/local-only.ts';
import securityHeaders from './plugins/security-headers.ts';
import { premiumRoutes } from './routes/premium.ts';
import { userDataRoutes } from './routes/user-data.ts';
import { userRoutes } from './routes/users.ts';

export interface AppHttpOptions {
  core: AppCore;
  logger?: FastifyServerOptions['logger'];
}

/** The local REST API and the built UI; it does not listen. */
export async function buildHttpApp(options: AppHttpOptions): Promise<FastifyInstance> {
  const { core } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    // A client that trickles its request is cut off (issue 8); the UI's requests are small and local.
    http: { headersTimeout: 15_000, requestTimeout: 60_000, connectionsCheckingInterval: 5_000 },
    requestTimeout: 60_000,
    keepAliveTimeout: 10_000,
    connectionTimeout: 30_000,
  });
  app.server.maxConnections = 256;
  await app.register(securityHeaders);
  await app.register(errorHandler);
  await app.register(localOnly);
  await app.register(userRoutes, { core });
  await app.register(premiumRoutes, { core });
  await app.register(userDataRoutes, { core });
  app.get('/api/1/info', async () => ({
    result: { server_url: core.config.serverUrl, site_url: core.config.siteUrl, data_dir: core.config.dataDir },
    message: '',
  }));

  const uiDir = core.config.uiDir;
  if (uiDir !== null && existsSync(join(uiDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: uiDir, wildcard: false });
    // The UI routes in the browser; any other GET outside the API gets the page.
    app.get('/*', async (request, reply) => {
      if (request.url.startsWith('/api/')) return reply.callNotFound();
      return reply.sendFile('index.html');
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send('The app UI is not built. Run: npm run build -w @rotki-premium/app\nThe local API is at /api/1.\n'),
    );
  }
  return app;
}
