import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { readBackupTestHooks } from './config/backup-config.ts';
import { loadBillingSettings } from './config/billing-config.ts';
import { defaultSiteUrl, type ServerConfig, type ServerSecrets } from './config/config.ts';
import { seedDefaultPrices } from './domain/billing/prices.ts';
import { sweepBackupUploads } from './domain/backup-upload-removal.ts';
import { createBackups, type BackupLog, type Backups } from './domain/backups.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import type { DomainContext } from './domain/context.ts';
import type { ChainWatcher } from './domain/payments/evm/watcher.ts';
import { KeyRing, loadMasterKey, parseOtherMasterKeys } from './domain/keyring.ts';
import { checkMasterKey } from './domain/master-key.ts';
import { PASSWORD_HASH_COST } from './domain/passwords.ts';
import type { MailWorker } from './domain/mail/worker.ts';
import { defaultCounterStore } from './domain/failure-counters.ts';
import { sweepAuditEvents, sweepReplayNonces, sweepSessions } from './domain/sweeps.ts';
import { openBlobStore } from './store/blob-store.ts';
import { openStore, type Store } from './store/database.ts';
import { SERVER_VERSION } from './version.ts';
import { migrateToLatest } from './store/migrate.ts';

/** Opens the store, brings it up to date and builds the domain context. */
export async function openContext(config: ServerConfig, secrets: ServerSecrets, clock: Clock = systemClock): Promise<DomainContext> {
  // Read first, so a mistake in the file fails before anything is opened.
  const billing = await loadBillingSettings(config.billingConfigFile, secrets);
  const store: Store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(store);
    await seedDefaultPrices(store.db, billing.currency);
    const keyRing = new KeyRing(loadMasterKey(secrets.masterKey, config.dataDir), parseOtherMasterKeys(secrets.otherMasterKeys));
    // Before anything is written: a process with another key than the database's refuses to start.
    await checkMasterKey(store.db, keyRing, clock.now());
    return { store, clock, keyRing, siteUrl: config.siteUrl, billing, passwordHashCost: config.passwordHashCost, devices: config.devices };
  } catch (error) {
    await store.destroy();
    throw error;
  }
}

/** The configured blob store and the backup domain over it; `blobs.close()` when done. */
export async function openBackups(ctx: DomainContext, config: ServerConfig, secrets: ServerSecrets, log?: BackupLog): Promise<Backups> {
  const blobs = await openBlobStore(config.backups, secrets.s3SecretAccessKey);
  const policy = { uploadTtlMs: config.backups.uploadTtlMs, ...readBackupTestHooks() };
  return createBackups(ctx, blobs, log === undefined ? { policy } : { policy, log });
}

export interface RunningServer {
  app: FastifyInstance;
  ctx: DomainContext;
  /** Sends the queued mails (on the instance holding the mail lease). */
  mail: MailWorker;
  /** Where mails go, for the start message: the SMTP server or the outbox folder. */
  mailDestination: string;
  /** Base URL the server answers on. */
  url: string;
  /** Where `/metrics` is served on a port of its own, or null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

function listenerUrl(app: FastifyInstance, secure: boolean): string {
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('listener has no address');
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${secure ? 'https' : 'http'}://${host}:${address.port}`;
}

export async function startServer(config: ServerConfig, secrets: ServerSecrets, logger: Logger): Promise<RunningServer> {
  // Read first, so a wrong path fails the start before anything is opened.
  const https =
    config.tls === null ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  if (config.passwordHashCost < PASSWORD_HASH_COST.productionMinimum) {
    logger.warn(
      { passwordHashCost: config.passwordHashCost, productionMinimum: PASSWORD_HASH_COST.productionMinimum },
      'password hash cost is below the production minimum: new passwords are cheap to guess (use this for tests only)',
    );
  }
  // Admin commands, which only open the context, never load these.
  const loading = import('./server-modules.ts');
  loading.catch(() => undefined);
  const ctx = await openContext(config, secrets);
  let backups: Backups;
  try {
    backups = await openBackups(ctx, config, secrets, logger.child({ module: 'backups' }));
  } catch (error) {
    await ctx.store.destroy();
    throw error;
  }
  const sweepBackups = () =>
    sweepBackupUploads(backups).catch((error: unknown) => logger.warn({ err: error }, 'backup upload sweep failed'));
  // Uploads left open by a crash are removed at start-up once expired, then every minute.
  await sweepBackups();
  const counters =
    config.redisUrl === ''
      ? defaultCounterStore(ctx.store)
      : await (await import('./domain/redis-counters.ts')).redisCounterStore(config.redisUrl);
  const {
    buildApp,
    ServerMetrics,
    buildMetricsApp,
    openPaymentProviders,
    InstanceTelemetry,
    HEARTBEAT_INTERVAL_MS,
    createMailTransport,
    startMailWorker,
    sweepSubscriptionNotices,
  } = await loading;
  const metrics = new ServerMetrics(ctx.store);
  // Crypto payments: each chain's node is scanned on whichever instance holds that chain's lease.
  let chains: ChainWatcher | null = null;
  if (ctx.billing.evm !== null) {
    const { startChainWatcher } = await import('./domain/payments/evm/watcher.ts');
    const { openChainReaders } = await import('./domain/payments/evm/viem-reader.ts');
    chains = startChainWatcher(ctx, { intervalMs: ctx.billing.evm.pollMs, readers: openChainReaders(ctx), log: logger.child({ module: 'chains' }) });
  }
  const telemetry = new InstanceTelemetry(ctx, SERVER_VERSION);
  const token = secrets.metricsToken;
  const app = await buildApp({
    ctx,
    config,
    logger,
    backups,
    metrics,
    telemetry,
    providers: await openPaymentProviders(ctx, chains ?? undefined),
    counters,
    ...(https === undefined ? {} : { https }),
    ...(token === undefined ? {} : { metricsToken: token }),
  });
  const metricsApp = config.metrics === null ? null : await buildMetricsApp({ metrics, token: token ?? null });
  try {
    await app.listen({ host: config.host, port: config.port });
    if (metricsApp !== null && config.metrics !== null) await metricsApp.listen({ host: config.metrics.host, port: config.metrics.port });
  } catch (error) {
    await chains?.stop();
    await metricsApp?.close();
    await app.close();
    await counters.close();
    await backups.blobs.close();
    await ctx.store.destroy();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const secure = https !== undefined;
  if (config.port === 0 && config.siteUrl === defaultSiteUrl(config.host, 0, secure)) {
    // The default site URL named port 0; messages must point at the port actually bound.
    ctx.siteUrl = defaultSiteUrl(config.host, port, secure);
  }

  const transport = createMailTransport(config.mail);
  const mail = startMailWorker({
    store: ctx.store,
    clock: ctx.clock,
    transport,
    from: config.mail.from,
    siteUrl: () => ctx.siteUrl,
    log: logger.child({ module: 'mail' }),
  });
  const mailDestination = transport.kind === 'smtp' ? `SMTP at ${transport.location}` : `written to ${transport.location} (no --smtp-url set)`;
  logger.info({ mail: transport.kind, location: transport.location }, `mail is ${mailDestination}`);
  const report = () => telemetry.report().catch((error: unknown) => logger.warn({ err: error }, 'instance heartbeat failed'));
  await report();
  const heartbeat = setInterval(() => void report(), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();

  // Each sweep deletes in small batches (domain/sweeps.ts); a round still running when the next is due is not doubled.
  let sweeping = false;
  const sweepRows = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      for (const [name, sweep] of [
        ['replay', () => sweepReplayNonces(ctx)],
        ['session', () => sweepSessions(ctx)],
        ['audit', () => sweepAuditEvents(ctx, config.auditRetentionMs)],
        ['rate-limit counter', () => counters.sweep(ctx.clock.now())],
      ] as const) {
        await sweep().catch((error: unknown) => logger.warn({ err: error }, `${name} sweep failed`));
      }
    } finally {
      sweeping = false;
    }
  };
  const noticeHolder = `instance-${randomBytes(8).toString('hex')}`;
  const sweepNotices = () =>
    sweepSubscriptionNotices(ctx, noticeHolder)
      .then((queued) => (queued > 0 ? mail.kick() : undefined))
      .catch((error: unknown) => logger.warn({ err: error }, 'subscription notice sweep failed'));
  void sweepNotices();
  const sweeper = setInterval(() => {
    void sweepRows();
    void sweepBackups();
    void sweepNotices();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  let closing: Promise<void> | null = null;
  return {
    app,
    ctx,
    mail,
    mailDestination,
    url: `${secure ? 'https' : 'http'}://${host}:${port}`,
    metricsUrl: metricsApp === null ? null : `${listenerUrl(metricsApp, false)}/metrics`,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        clearInterval(heartbeat);
        await metricsApp?.close();
        await app.close();
        await chains?.stop();
        await mail.stop();
        await report();
        await counters.close();
        await backups.blobs.close();
        await ctx.store.destroy();
      })();
      return closing;
    },
  };
}
