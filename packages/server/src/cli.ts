import { printableLines } from '@rotki-premium/protocol';
import { Command, CommanderError, Option } from 'commander';
import { requiredOption } from './cli-options.ts';
import { registerBillingCommands } from './cli-billing.ts';
import { backupConfigInput, blobStoreOptions, registerBackupCommands, type BlobStoreOptionValues } from './cli-backups.ts';
import { registerAccountHelpCommands } from './cli-accounts.ts';
import { registerMailCommands } from './cli-mail.ts';
import { registerOperatorCommands } from './cli-operators.ts';
import { registerDbCommands } from './cli-db.ts';
import { registerTlsCommands } from './cli-tls.ts';
import { registerMasterKeyCommands } from './cli-master-key.ts';
import { buildConfig, readSecrets, type ConfigInput } from './config/config.ts';
import { requireAccount, createAccount } from './domain/accounts.ts';
import { listAuditEvents } from './domain/audit.ts';
import type { DomainContext } from './domain/context.ts';
import { createCredentials, regenerateCredentials, type ApiCredentials } from './domain/credentials.ts';
import { DomainError } from './domain/errors.ts';
import { PASSWORD_HASH_COST } from './domain/passwords.ts';
import { cancelSubscription, expireSubscription, grantSubscription, type Subscription } from './domain/subscriptions.ts';
import { currentPrices } from './domain/billing/prices.ts';
import { formatMoney } from './domain/billing/money.ts';
import { listTiers } from './domain/tiers.ts';
import { openContext, startServer } from './server.ts';

/** Exit code for a usage error: unknown user or tier, missing or bad option. */
const USAGE_ERROR = 2;

class UsageError extends Error {}

interface StoreOptions {
  data?: string;
  database?: string;
  billingConfig?: string;
  passwordHashCost?: string;
}

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

interface JsonOption {
  json?: boolean;
}

function storeOptions(command: Command): Command {
  return command
    .addOption(new Option('--data <dir>', 'data folder (SQLite file, master key, backups)').env('ROTKI_PREMIUM_DATA'))
    .addOption(
      new Option('--database <url>', 'postgres://… for PostgreSQL; SQLite in the data folder when omitted').env(
        'ROTKI_PREMIUM_DATABASE',
      ),
    )
    .addOption(
      new Option('--billing-config <file>', 'billing configuration (JSON): currency, seller, VAT, payment methods').env(
        'ROTKI_PREMIUM_BILLING_CONFIG',
      ),
    )
    .addOption(
      new Option('--password-hash-cost <log2N>', `scrypt cost of new password hashes as log2 N (${PASSWORD_HASH_COST.min}-${PASSWORD_HASH_COST.max}; below ${PASSWORD_HASH_COST.productionMinimum} for tests only)`)
        .env('ROTKI_PREMIUM_PASSWORD_HASH_COST')
        .default(String(PASSWORD_HASH_COST.default)),
    );
}

function jsonOption(command: Command): Command {
  return command.addOption(new Option('--json', 'print one JSON object as the last line').env('ROTKI_PREMIUM_JSON'));
}

function configFrom(options: StoreOptions & ConfigInput) {
  return buildConfig({ ...options, dataDir: options.data, databaseUrl: options.database });
}

async function withContext<T>(options: StoreOptions, work: (ctx: DomainContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(configFrom(options), readSecrets());
  try {
    return await work(ctx);
  } finally {
    await ctx.store.destroy();
  }
}

/** `human` may be a function, for text that costs something to make (money formatting loads Intl's data). */
function print(json: boolean | undefined, human: string | (() => string), object: Record<string, unknown>): void {
  process.stdout.write(json === true ? `${JSON.stringify(object)}\n` : `${printableLines(typeof human === 'function' ? human() : human)}\n`);
}

function subscriptionJson(username: string, s: Subscription) {
  return {
    username,
    tier: s.tier.name,
    status: s.status,
    active: s.isActive,
    period_start: s.periodStart.toISOString(),
    period_end: s.periodEnd.toISOString(),
  };
}

function subscriptionText(username: string, s: Subscription): string {
  const until = s.periodEnd.toISOString().slice(0, 10);
  if (!s.isActive) return `${username}: ${s.tier.name} subscription expired (${until})`;
  return `${username}: ${s.tier.name} subscription ${s.status === 'cancelled' ? 'cancelled, active until' : 'active until'} ${until}`;
}

function credentialsJson(c: ApiCredentials) {
  return { api_key: c.apiKey, api_secret: c.apiSecret, created_at: c.createdAt.toISOString() };
}

function credentialsText(c: ApiCredentials, regenerated: boolean): string {
  return [
    regenerated ? 'New API credentials (the previous pair no longer works):' : 'API credentials created:',
    `API Key:    ${c.apiKey}`,
    `API Secret: ${c.apiSecret}`,
    `Created:    ${c.createdAt.toISOString()}`,
  ].join('\n');
}

function positiveInteger(option: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1) throw new UsageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return parsed;
}

export function buildProgram(): Command {
  const program = new Command('rotki-premium')
    .description('The rotki premium service: signed premium API, subscriptions, API credentials and devices')
    .showHelpAfterError(false)
    .exitOverride();

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

  jsonOption(storeOptions(program.command('migrate').description('create or update the database schema'))).action(
    async (options: StoreOptions & JsonOption) => {
      await withContext(options, async (ctx) => {
        print(options.json, `Database is up to date (${ctx.store.dialect} at ${ctx.store.location})`, {
          dialect: ctx.store.dialect,
          location: ctx.store.location,
          up_to_date: true,
        });
      });
    },
  );

  const admin = program.command('admin').description('operator commands; safe to run while the server runs');

  const account = admin.command('account').description('subscriber accounts');
  jsonOption(
    storeOptions(
      account
        .command('create')
        .description('create an account (its e-mail address counts as confirmed: the operator vouches for it)')
        .addOption(requiredOption('--username <name>', 'login name', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--email <email>', 'email address', 'ROTKI_PREMIUM_EMAIL'))
        .addOption(requiredOption('--password <password>', 'password (at least 8 characters, not easy to guess)', 'ROTKI_PREMIUM_PASSWORD')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; email: string; password: string }) => {
    await withContext(options, async (ctx) => {
      const created = await createAccount(ctx, { username: options.username, email: options.email, password: options.password, verified: true });
      print(options.json, `Account "${created.username}" created`, {
        id: created.id,
        username: created.username,
        email: created.email,
        created_at: created.createdAt.toISOString(),
      });
    });
  });

  registerAccountHelpCommands(account, { storeOptions, jsonOption, print, withContext });

  const subscription = admin.command('subscription').description('grant, cancel or end subscriptions');
  jsonOption(
    storeOptions(
      subscription
        .command('grant')
        .description('grant or extend a subscription (a payment recorded by the operator)')
        .addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--tier <tier>', 'tier name, see admin tiers list', 'ROTKI_PREMIUM_TIER'))
        .addOption(requiredOption('--months <n>', 'months to add', 'ROTKI_PREMIUM_MONTHS'))
        .addOption(new Option('--payment-reference <ref>', 'your reference for the payment').env('ROTKI_PREMIUM_PAYMENT_REFERENCE')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; tier: string; months: string; paymentReference?: string }) => {
    const months = positiveInteger('--months', options.months);
    await withContext(options, async (ctx) => {
      const owner = await requireAccount(ctx, options.username);
      const granted = await grantSubscription(ctx, owner.id, options.tier, months, options.paymentReference ?? null);
      print(options.json, subscriptionText(owner.username, granted), subscriptionJson(owner.username, granted));
    });
  });
  for (const [name, description, act] of [
    ['cancel', 'cancel renewal: stays active until the period end', cancelSubscription],
    ['expire', 'end the subscription now', expireSubscription],
  ] as const) {
    jsonOption(storeOptions(subscription.command(name).description(description).addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME')))).action(
      async (options: StoreOptions & JsonOption & { username: string }) => {
        await withContext(options, async (ctx) => {
          const owner = await requireAccount(ctx, options.username);
          const changed = await act(ctx, owner.id);
          print(options.json, subscriptionText(owner.username, changed), subscriptionJson(owner.username, changed));
        });
      },
    );
  }

  const credentials = admin.command('credentials').description('API credentials, as the Create and Regenerate buttons');
  for (const [name, description, act] of [
    ['create', 'create the first API key and secret (needs an active subscription)', createCredentials],
    ['regenerate', 'replace the pair; the old one stops working at once on every device', regenerateCredentials],
  ] as const) {
    jsonOption(storeOptions(credentials.command(name).description(description).addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME')))).action(
      async (options: StoreOptions & JsonOption & { username: string }) => {
        await withContext(options, async (ctx) => {
          const owner = await requireAccount(ctx, options.username);
          const pair = await act(ctx, owner.id, { via: 'cli' });
          print(options.json, credentialsText(pair, name === 'regenerate'), credentialsJson(pair));
        });
      },
    );
  }

  const tiers = admin.command('tiers').description('subscription tiers');
  jsonOption(storeOptions(tiers.command('list').description('list tiers and their limits'))).action(
    async (options: StoreOptions & JsonOption) => {
      await withContext(options, async (ctx) => {
        const all = await listTiers(ctx);
        const prices = await currentPrices(ctx, all);
        const price = (minor: number | null | undefined) => (minor === null || minor === undefined ? '-' : formatMoney(minor, ctx.billing.currency));
        const rows = all.map((t) => ({
          name: t.name,
          device_limit: t.deviceLimit,
          max_backup_size_mb: t.maxBackupSizeMb,
          backup_versions: t.backupVersions,
          history_events_limit: t.historyEventsLimit,
          pnl_events_limit: t.pnlEventsLimit,
          reports_lookup_limit: t.reportsLookupLimit,
          eth_staked_limit: t.ethStakedLimit,
          capabilities: t.capabilities,
          currency: ctx.billing.currency,
          monthly_price_minor: prices.get(t.id)?.monthly ?? null,
          yearly_price_minor: prices.get(t.id)?.yearly ?? null,
        }));
        const text = () =>
          all
            .map(
              (t) =>
                `${t.name.padEnd(10)} ${price(prices.get(t.id)?.monthly).padStart(10)}/month ${price(prices.get(t.id)?.yearly).padStart(10)}/year  devices ${String(t.deviceLimit).padStart(2)}  backup ${String(t.maxBackupSizeMb).padStart(4)} MiB × ${String(t.backupVersions).padStart(2)} versions  ${t.capabilities.join(', ') || '-'}`,
            )
            .join('\n');
        print(options.json, text, { tiers: rows });
      });
    },
  );

  jsonOption(
    storeOptions(
      admin
        .command('audit')
        .description("an account's audit events, newest first")
        .addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(new Option('--limit <n>', 'how many events').env('ROTKI_PREMIUM_AUDIT_LIMIT').default('100')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; limit: string }) => {
    await withContext(options, async (ctx) => {
      const owner = await requireAccount(ctx, options.username);
      const events = await listAuditEvents(ctx.store.db, owner.id, positiveInteger('--limit', options.limit));
      const text = events.map((e) => `${e.createdAt.toISOString()}  ${e.action.padEnd(24)} ${e.ip ?? '-'}  ${JSON.stringify(e.detail)}`).join('\n');
      print(options.json, text === '' ? 'No events' : text, {
        username: owner.username,
        events: events.map((e) => ({ id: e.id, action: e.action, detail: e.detail, ip: e.ip, created_at: e.createdAt.toISOString() })),
      });
    });
  });

  registerBackupCommands(admin, { storeOptions, jsonOption, print });
  registerMailCommands(admin, { storeOptions, jsonOption, print, withContext });
  registerBillingCommands(admin, tiers, { storeOptions, jsonOption, print, withContext });
  registerOperatorCommands(admin, { storeOptions, jsonOption, withContext, print });
  registerDbCommands(admin, { storeOptions, jsonOption, print });
  registerMasterKeyCommands(admin, { storeOptions, jsonOption, print });
  registerTlsCommands(program, { storeOptions, jsonOption, print });

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one-line message already.
      return error.exitCode === 0 ? 0 : USAGE_ERROR;
    }
    if (error instanceof UsageError || (error instanceof DomainError && (error.kind === 'not_found' || error.kind === 'invalid'))) {
      process.stderr.write(`error: ${error.message}\n`);
      return USAGE_ERROR;
    }
    if (error instanceof DomainError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
