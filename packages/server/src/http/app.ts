import { createServer as createHttpsServer } from 'node:https';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/config.ts';
import { backupMetadata } from '../domain/backup-current.ts';
import { createBackups, type Backups } from '../domain/backups.ts';
import type { DomainContext } from '../domain/context.ts';
import { defaultCounterStore, type CounterStore } from '../domain/failure-counters.ts';
import { openPaymentProviders, type PaymentProviders } from '../domain/payments/providers.ts';
import { openBlobStore } from '../store/blob-store.ts';
import { ServerMetrics } from './metrics/server-metrics.ts';
import cleanInput from './plugins/clean-input.ts';
import { docsRoutes, PASS_THROUGH_SCHEMAS, recordRoutes } from './openapi/api-docs.ts';
import errorHandler from './plugins/error-handler.ts';
import rawBody from './plugins/raw-body.ts';
import { RequestLogLines } from './plugins/request-log.ts';
import requestMetrics from './plugins/request-metrics.ts';
import securityHeaders from './plugins/security-headers.ts';
import signedRequest from './plugins/signed-request.ts';
import type { InstanceTelemetry } from '../domain/system/telemetry.ts';
import { adminApiRoutes } from './routes/admin-api/index.ts';
import { adminSiteRoutes } from './routes/admin-site.ts';
import { backupApiRoutes } from './routes/backup-api.ts';
import { backupHistoryApiRoutes } from './routes/backup-history-api.ts';
import { deviceStatusApiRoutes } from './routes/device-status-api.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { premiumApiRoutes, type BackupMetadataSource } from './routes/premium-api.ts';
import { DEFAULT_BODY_LIMIT, SIGNED_BODY_LIMIT } from './body-limits.ts';
import { WEB_API_PREFIX, webApiRoutes } from './routes/web-api.ts';
import { ADMIN_API } from '@rotki-premium/protocol/admin-api';
import { webhookRoutes } from './routes/webhooks.ts';
import { websiteRoutes } from './routes/website.ts';

export interface AppOptions {
  ctx: DomainContext;
  config: ServerConfig;
  logger: Logger;
  backupMetadata?: BackupMetadataSource;
  /** Backup storage; default: the configured blob store (closed with the app). */
  backups?: Backups;
  /** Payment providers (Stripe); default: those the billing settings enable. */
  providers?: PaymentProviders;
  /** PEM certificate and key: the app then answers HTTPS itself (PROTOCOL.md decision 11). */
  https?: { cert: Buffer; key: Buffer };
  /** What `/metrics` reports; default: metrics of this app alone. */
  metrics?: ServerMetrics;
  /** Serve `/metrics` on this app's port, behind this bearer token. */
  metricsToken?: string;
  /** Where failed signatures and logins are counted; default: the database on PostgreSQL, this process on SQLite. */
  counters?: CounterStore;
  /** This instance's heartbeat and activity counts (failed signatures), when it reports them. */
  telemetry?: InstanceTelemetry;
}

/** Builds the whole HTTP application; it does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { ctx, config } = options;
  const limits = config.connections;
  // Node checks the header and request timeouts on this interval (30 s by default, too coarse for a 15 s limit).
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 3))),
  };
  const tls = options.https;
  const serverFactory: FastifyServerFactory | undefined =
    tls === undefined ? undefined : (handler) => createHttpsServer({ ...timeouts, cert: tls.cert, key: tls.key }, handler);
  const trustProxy = config.trustProxy;
  const logger = options.logger;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLogLines(logger),
    // A hop count trusts the nearest proxies only: the address the last of them appended is the client's.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    ...(serverFactory === undefined ? { http: timeouts } : { serverFactory }),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    bodyLimit: DEFAULT_BODY_LIMIT,
    // The rotki app never follows our redirects on the API (PROTOCOL.md decision 11).
    routerOptions: { ignoreTrailingSlash: false },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    schemaController: PASS_THROUGH_SCHEMAS,
  });
  // Fastify applies its timeouts to a server it makes itself only.
  app.server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  app.server.requestTimeout = limits.requestTimeoutMs;
  app.server.headersTimeout = limits.headersTimeoutMs;
  app.server.setTimeout(limits.idleTimeoutMs);
  app.server.maxConnections = limits.maxConnections;

  // First: the API document is made from the routes below as they are added.
  const routes = recordRoutes(app);
  const metrics = options.metrics ?? new ServerMetrics(ctx.store);
  const counters = options.counters ?? defaultCounterStore(ctx.store);
  await app.register(requestMetrics, { metrics });
  await app.register(errorHandler);
  await app.register(securityHeaders);
  await app.register(cleanInput);
  await app.register(rawBody, { getBodyLimit: SIGNED_BODY_LIMIT });
  await app.register(signedRequest, {
    ctx,
    nonceWindowMs: config.nonceWindowMs,
    failedSignatureLimit: config.failedSignatureLimit,
    failedSignatureWindowMs: config.failedSignatureWindowMs,
    metrics,
    counters,
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
  });
  let backups = options.backups;
  if (backups === undefined) {
    const blobs = await openBlobStore(config.backups, undefined);
    app.addHook('onClose', () => blobs.close());
    backups = createBackups(ctx, blobs, { policy: { uploadTtlMs: config.backups.uploadTtlMs } });
  }
  const ownBackups = backups;
  await app.register(premiumApiRoutes, {
    ctx,
    metrics,
    backupMetadata: options.backupMetadata ?? ((accountId) => backupMetadata(ownBackups, accountId)),
  });
  await app.register(backupApiRoutes, { backups, metrics });
  await app.register(backupHistoryApiRoutes, { ctx });
  await app.register(deviceStatusApiRoutes, { ctx });

  const providers = options.providers ?? (await openPaymentProviders(ctx));
  await app.register(webApiRoutes, {
    prefix: WEB_API_PREFIX,
    ctx,
    sessionTtlMs: config.sessionTtlMs,
    loginRateLimit: config.loginRateLimit,
    loginRateWindowMs: config.loginRateWindowMs,
    counters,
    gateways: providers.gateways,
    backups: ownBackups,
  });
  if (providers.stripe !== null) await app.register(webhookRoutes, { ctx, stripe: providers.stripe });
  await app.register(websiteRoutes, { webDir: config.webDir });
  await app.register(adminApiRoutes, { prefix: ADMIN_API, ctx, backups: ownBackups, counters, mail: config.mail, gateways: providers.gateways });
  await app.register(adminSiteRoutes, { adminDir: config.adminDir });

  await app.register(healthRoutes, { store: ctx.store, blobs: ownBackups.blobs });
  await app.register(docsRoutes, { routes });
  if (options.metricsToken !== undefined) await app.register(metricsRoutes, { metrics, token: options.metricsToken });
  return app;
}
