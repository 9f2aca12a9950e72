import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/config.ts';
import type { DomainContext } from '../domain/context.ts';
import errorHandler from './plugins/error-handler.ts';
import rawBody from './plugins/raw-body.ts';
import signedRequest from './plugins/signed-request.ts';
import { PREMIUM_BODY_LIMIT, premiumApiRoutes, type BackupMetadataSource } from './routes/premium-api.ts';

export interface AppOptions {
  ctx: DomainContext;
  config: ServerConfig;
  logger: Logger;
  backupMetadata?: BackupMetadataSource;
}

/** Builds the whole HTTP application; it does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { ctx, config } = options;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    bodyLimit: PREMIUM_BODY_LIMIT,
    // The rotki app never follows our redirects on the API (PROTOCOL.md decision 11).
    ignoreTrailingSlash: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  await app.register(errorHandler);
  await app.register(rawBody, { getBodyLimit: PREMIUM_BODY_LIMIT });
  await app.register(signedRequest, {
    ctx,
    nonceWindowMs: config.nonceWindowMs,
    failedSignatureLimit: config.failedSignatureLimit,
    failedSignatureWindowMs: config.failedSignatureWindowMs,
  });
  await app.register(premiumApiRoutes, {
    ctx,
    ...(options.backupMetadata === undefined ? {} : { backupMetadata: options.backupMetadata }),
  });

  app.get('/health', async () => ({ status: 'ok', database: ctx.store.dialect }));
  return app;
}
