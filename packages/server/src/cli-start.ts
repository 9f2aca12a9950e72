import { Option, type Command } from 'commander';
import { backupConfigInput, blobStoreOptions, type BlobStoreOptionValues } from './cli-backups.ts';
import { storeOptions, type StoreOptions } from './cli-options.ts';
import { buildConfig, readSecrets } from './config/config.ts';
import { startServer } from './server.ts';

interface StartOptions extends StoreOptions, BlobStoreOptionValues {
  host: string;
  port: string;
  siteUrl?: string;
  nonceWindow: string;
  failedSignatureLimit: string;
  logLevel: string;
  trustProxy?: boolean | string;
  redis?: string;
  headersTimeout: string;
  requestTimeout: string;
  keepAliveTimeout: string;
  idleTimeout: string;
  maxConnections: string;
  tlsCert?: string;
  tlsKey?: string;
  sessionTtl: string;
  loginRateLimit: string;
  webDir?: string;
  metricsHost?: string;
  metricsPort?: string;
  smtpUrl?: string;
  mailFrom?: string;
  auditRetentionDays?: string;
  staleDeviceDays: string;
  replaceStaleDevices?: boolean | string;
}

/** `start`: runs the server until SIGTERM or SIGINT, after printing the URLs it serves. */
export function registerStartCommand(program: Command): void {
  blobStoreOptions(storeOptions(
    program
      .command('start')
      .description('start the server and print the URLs it serves')
      .addOption(new Option('--host <host>', 'address to listen on').env('ROTKI_PREMIUM_HOST').default('127.0.0.1'))
      .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').env('ROTKI_PREMIUM_PORT').default('4243'))
      .addOption(new Option('--site-url <url>', 'public URL of the website, used in messages').env('ROTKI_PREMIUM_SITE_URL'))
      .addOption(
        new Option('--nonce-window <seconds>', 'accepted distance of a request nonce from server time')
          .env('ROTKI_PREMIUM_NONCE_WINDOW_SECONDS')
          .default('300'),
      )
      .addOption(
        new Option('--failed-signature-limit <n>', 'failed signatures per API key and minute before 429')
          .env('ROTKI_PREMIUM_FAILED_SIGNATURE_LIMIT')
          .default('20'),
      )
      .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace').env('ROTKI_PREMIUM_LOG_LEVEL').default('info'))
      .addOption(
        new Option(
          '--trust-proxy [hops|addresses]',
          'take the client address from X-Forwarded-For: the entry the nearest proxy added (alone: one hop), or after the given proxy addresses/CIDR ranges',
        ).env('ROTKI_PREMIUM_TRUST_PROXY'),
      )
      .addOption(
        new Option('--redis <url>', 'redis://… to count failed logins and signatures across instances (default: in the database on PostgreSQL)').env(
          'ROTKI_PREMIUM_REDIS_URL',
        ),
      )
      .addOption(new Option('--headers-timeout <seconds>', 'time a client has to send its request headers').env('ROTKI_PREMIUM_HEADERS_TIMEOUT').default('15'))
      .addOption(
        new Option('--request-timeout <seconds>', 'time a client has to send a whole request (a 10 MB backup chunk included)')
          .env('ROTKI_PREMIUM_REQUEST_TIMEOUT')
          .default('120'),
      )
      .addOption(
        new Option('--keep-alive-timeout <seconds>', 'how long an idle keep-alive connection stays open').env('ROTKI_PREMIUM_KEEP_ALIVE_TIMEOUT').default('10'),
      )
      .addOption(new Option('--idle-timeout <seconds>', 'close a connection on which nothing moves for this long').env('ROTKI_PREMIUM_IDLE_TIMEOUT').default('30'))
      .addOption(new Option('--max-connections <n>', 'open connections at most; more are closed at once').env('ROTKI_PREMIUM_MAX_CONNECTIONS').default('1024'))
      .addOption(new Option('--tls-cert <file>', 'PEM certificate (chain) to serve HTTPS directly').env('ROTKI_PREMIUM_TLS_CERT'))
      .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('ROTKI_PREMIUM_TLS_KEY'))
      .addOption(
        new Option('--session-ttl <seconds>', 'how long a website login lasts').env('ROTKI_PREMIUM_SESSION_TTL_SECONDS').default('86400'),
      )
      .addOption(
        new Option('--login-rate-limit <n>', 'website login and sign-up attempts per address in 15 minutes')
          .env('ROTKI_PREMIUM_LOGIN_RATE_LIMIT')
          .default('20'),
      )
      .addOption(new Option('--web-dir <dir>', 'the built website (default: packages/web/dist)').env('ROTKI_PREMIUM_WEB_DIR'))
      .addOption(new Option('--metrics-port <port>', 'serve /metrics on this port of its own (0 picks a free one)').env('ROTKI_PREMIUM_METRICS_PORT'))
      .addOption(new Option('--metrics-host <host>', 'address of the metrics port (default 127.0.0.1)').env('ROTKI_PREMIUM_METRICS_HOST'))
      .addOption(
        new Option('--smtp-url <url>', 'smtp://user:pass@host:587 or smtps://…:465 (keep a password in the variable); default: <data>/outbox').env(
          'ROTKI_PREMIUM_SMTP_URL',
        ),
      )
      .addOption(new Option('--mail-from <address>', 'sender of mails, e.g. "rotki premium <no-reply@example.com>"').env('ROTKI_PREMIUM_MAIL_FROM'))
      .addOption(
        new Option('--audit-retention-days <days>', 'remove audit events older than this (0: keep them for ever)')
          .env('ROTKI_PREMIUM_AUDIT_RETENTION_DAYS')
          .default('0'),
      )
      .addOption(
        new Option('--stale-device-days <days>', 'a device unseen for this many days is marked stale')
          .env('ROTKI_PREMIUM_STALE_DEVICE_DAYS')
          .default('90'),
      )
      .addOption(
        new Option(
          '--replace-stale-devices [bool]',
          'when a registration hits the device limit, replace the longest-unseen stale device (off by default)',
        ).env('ROTKI_PREMIUM_REPLACE_STALE_DEVICES'),
      ),
  )).action(async (options: StartOptions) => {
    const config = buildConfig({
      host: options.host,
      port: options.port,
      dataDir: options.data,
      databaseUrl: options.database,
      siteUrl: options.siteUrl,
      nonceWindowSeconds: options.nonceWindow,
      failedSignatureLimit: options.failedSignatureLimit,
      logLevel: options.logLevel,
      trustProxy: options.trustProxy,
      redisUrl: options.redis,
      headersTimeoutSeconds: options.headersTimeout,
      requestTimeoutSeconds: options.requestTimeout,
      keepAliveTimeoutSeconds: options.keepAliveTimeout,
      idleTimeoutSeconds: options.idleTimeout,
      maxConnections: options.maxConnections,
      tlsCert: options.tlsCert,
      tlsKey: options.tlsKey,
      sessionTtlSeconds: options.sessionTtl,
      loginRateLimit: options.loginRateLimit,
      webDir: options.webDir,
      backups: backupConfigInput(options),
      metricsHost: options.metricsHost,
      metricsPort: options.metricsPort,
      mail: { smtpUrl: options.smtpUrl, mailFrom: options.mailFrom },
      billingConfig: options.billingConfig,
      auditRetentionDays: options.auditRetentionDays,
      passwordHashCost: options.passwordHashCost,
      staleDeviceDays: options.staleDeviceDays,
      replaceStaleDevices: options.replaceStaleDevices,
    });
    // Loaded here: admin commands do not log.
    const { createLogger } = await import('./logger.ts');
    const logger = createLogger(config.logLevel, process.stderr);
    const server = await startServer(config, readSecrets(), logger);
    process.stdout.write(
      [
        `rotki premium is running (${server.ctx.store.dialect === 'sqlite' ? `SQLite at ${server.ctx.store.location}` : `PostgreSQL at ${server.ctx.store.location}`})`,
        `Listening on ${server.url}`,
        `Website:      ${server.url}/`,
        `Premium API:  ${server.url}/api/1 and ${server.url}/nest/1`,
        `Health:       ${server.url}/health`,
        ...(server.metricsUrl === null ? [] : [`Metrics:      ${server.metricsUrl}`]),
        `Mail:         ${server.mailDestination}`,
        '',
      ].join('\n'),
    );
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
