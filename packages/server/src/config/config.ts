import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { buildBackupConfig, type BackupConfigInput, type BackupStorageConfig } from './backup-config.ts';
import { PASSWORD_HASH_COST } from '../domain/passwords.ts';
import { buildMailConfig, type MailConfig, type MailConfigInput } from './mail-config.ts';
import { DEFAULT_DEVICE_POLICY, type DevicePolicy } from '../domain/device-policy.ts';

/** Everything the server reads from its options and environment, read once. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Empty: SQLite in the data folder. */
  databaseUrl: string;
  /** Public address of the website, used in messages (device limit) and links. */
  siteUrl: string;
  nonceWindowMs: number;
  /** Failed signatures allowed per API key in `failedSignatureWindowMs` (a client address gets a multiple). */
  failedSignatureLimit: number;
  failedSignatureWindowMs: number;
  logLevel: string;
  /**
   * Which reverse proxies may name the client in X-Forwarded-For: false (none),
   * a hop count (the address the nearest proxy appended, for 1), or the
   * proxies' addresses and CIDR ranges (the last address not among them).
   */
  trustProxy: TrustProxy;
  /** Redis for the failure counters shared by instances; empty: the database (PostgreSQL) or this process (SQLite). */
  redisUrl: string;
  /** Connection limits and timeouts against slow or idle clients (issue 8). */
  connections: ConnectionLimits;
  /** PEM certificate and key to serve HTTPS directly (PROTOCOL.md decision 11); null: plain HTTP, TLS at a proxy. */
  tls: { certFile: string; keyFile: string } | null;
  /** How long a website login lasts. */
  sessionTtlMs: number;
  /** Login and sign-up attempts allowed per client address in `loginRateWindowMs`. */
  loginRateLimit: number;
  loginRateWindowMs: number;
  /** The built website (packages/web/dist); not served when the folder is missing. */
  webDir: string;
  /** The built operator console (packages/admin/dist), served at /admin. */
  adminDir: string;
  /** Blob store and upload expiry. */
  backups: BackupStorageConfig;
  /** A listener of its own serving only `/metrics`; null: none (then `/metrics` is on the public port only with a token). */
  metrics: { host: string; port: number } | null;
  /** SMTP or the outbox folder, and the sender. */
  mail: MailConfig;
  /** The billing configuration file (JSON); empty: defaults (euros, no VAT, payments recorded by the operator). */
  billingConfigFile: string;
  /** Audit events older than this are removed by the sweep; null: kept for ever. */
  auditRetentionMs: number | null;
  /** scrypt cost of new password hashes as log2 N (17 by default, the production minimum; lower for test servers). */
  passwordHashCost: number;
  /** When a device counts as stale, and whether a registration at the limit replaces one. */
  devices: DevicePolicy;
}

export type TrustProxy = false | number | string[];

export interface ConnectionLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** A connection on which nothing moves for this long is closed. */
  idleTimeoutMs: number;
  /** Open connections at most; more are closed at once. */
  maxConnections: number;
}

export interface ServerSecrets {
  /** `ROTKI_PREMIUM_MASTER_KEY`; when empty the key file in the data folder is used. */
  masterKey: string | undefined;
  /** `ROTKI_PREMIUM_OTHER_MASTER_KEYS`: keys also readable during a rotation (comma-separated), never written with. */
  otherMasterKeys?: string | undefined;
  /** `ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY`, for the S3 blob store. */
  s3SecretAccessKey?: string | undefined;
  /** `ROTKI_PREMIUM_METRICS_TOKEN`: bearer token for `/metrics`; on the public port, `/metrics` exists only with it. */
  metricsToken?: string | undefined;
  /** `ROTKI_PREMIUM_STRIPE_SECRET_KEY` and `ROTKI_PREMIUM_STRIPE_WEBHOOK_SECRET`, for card payments. */
  stripeSecretKey?: string | undefined;
  stripeWebhookSecret?: string | undefined;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4243,
  dataDir: './data',
  nonceWindowSeconds: 300,
  failedSignatureLimit: 20,
  failedSignatureWindowSeconds: 60,
  logLevel: 'info',
  sessionTtlSeconds: 24 * 60 * 60,
  loginRateLimit: 20,
  loginRateWindowSeconds: 15 * 60,
  headersTimeoutSeconds: 15,
  requestTimeoutSeconds: 120,
  keepAliveTimeoutSeconds: 10,
  idleTimeoutSeconds: 30,
  maxConnections: 1024,
  webDir: resolve(import.meta.dirname, '../../../web/dist'),
  adminDir: resolve(import.meta.dirname, '../../../admin/dist'),
} as const;

export interface ConfigInput {
  host?: string | undefined;
  port?: number | string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  siteUrl?: string | undefined;
  nonceWindowSeconds?: number | string | undefined;
  failedSignatureLimit?: number | string | undefined;
  logLevel?: string | undefined;
  trustProxy?: boolean | string | undefined;
  redisUrl?: string | undefined;
  headersTimeoutSeconds?: number | string | undefined;
  requestTimeoutSeconds?: number | string | undefined;
  keepAliveTimeoutSeconds?: number | string | undefined;
  idleTimeoutSeconds?: number | string | undefined;
  maxConnections?: number | string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  sessionTtlSeconds?: number | string | undefined;
  loginRateLimit?: number | string | undefined;
  webDir?: string | undefined;
  adminDir?: string | undefined;
  backups?: BackupConfigInput | undefined;
  metricsHost?: string | undefined;
  metricsPort?: number | string | undefined;
  mail?: MailConfigInput | undefined;
  billingConfig?: string | undefined;
  /** Days to keep audit events; 0 or empty: for ever. */
  auditRetentionDays?: number | string | undefined;
  /** log2 of scrypt's N for new password hashes. */
  passwordHashCost?: number | string | undefined;
  /** Days unseen after which a device is stale (at least 1). */
  staleDeviceDays?: number | string | undefined;
  /** Replace the longest-unseen stale device when a registration hits the limit. */
  replaceStaleDevices?: boolean | string | undefined;
}

function passwordHashCost(value: number | string | undefined): number {
  const cost = integer(value, PASSWORD_HASH_COST.default, 'password hash cost', PASSWORD_HASH_COST.min);
  if (cost > PASSWORD_HASH_COST.max) throw new Error(`password hash cost must be at most ${PASSWORD_HASH_COST.max}, got ${cost}`);
  return cost;
}

function integer(value: number | string | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${value}"`);
  return parsed;
}

/** The site URL when none is configured: the server's own address. */
export function defaultSiteUrl(host: string, port: number, secure = false): string {
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${secure ? 'https' : 'http'}://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}`;
}

function tlsFiles(cert: string | undefined, key: string | undefined): ServerConfig['tls'] {
  const certFile = cert ?? '';
  const keyFile = key ?? '';
  if (certFile === '' && keyFile === '') return null;
  if (certFile === '' || keyFile === '') throw new Error('--tls-cert and --tls-key must be given together');
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

function metricsListener(host: string | undefined, port: number | string | undefined): ServerConfig['metrics'] {
  if (port === undefined || port === '') return null;
  const parsed = integer(port, 0, 'metrics port');
  if (parsed > 65535) throw new Error(`metrics port must be at most 65535, got ${parsed}`);
  return { host: host === undefined || host === '' ? DEFAULTS.host : host, port: parsed };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function auditRetention(days: number | string | undefined): number | null {
  const parsed = integer(days, 0, 'audit retention days');
  return parsed === 0 ? null : parsed * DAY_MS;
}

function flag(value: boolean | string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === false || value === 'false' || value === '0') return false;
  if (value === true || value === 'true' || value === '1') return true;
  throw new Error(`${name} takes true or false, got "${value}"`);
}

function devicePolicy(input: ConfigInput): DevicePolicy {
  return Object.freeze({
    staleAfterDays: integer(input.staleDeviceDays, DEFAULT_DEVICE_POLICY.staleAfterDays, 'stale device days', 1),
    replaceStale: flag(input.replaceStaleDevices, '--replace-stale-devices'),
  });
}

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `--trust-proxy`: absent or "false" trusts nobody; given alone or "true",
 * one hop; a number, that many hops; otherwise a comma-separated list of
 * proxy addresses, CIDR ranges or the names loopback, linklocal, uniquelocal.
 */
export function parseTrustProxy(value: boolean | string | undefined): TrustProxy {
  if (value === undefined || value === false || value === '' || value === 'false') return false;
  if (value === true || value === 'true') return 1;
  if (/^\d{1,2}$/.test(value)) return Number(value) === 0 ? false : Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!PROXY_RANGE_NAMES.has(entry) && (family === 0 || !validBits || rest.length > 0)) {
      throw new Error(`--trust-proxy takes a hop count or proxy addresses/CIDR ranges, got "${entry}"`);
    }
  }
  return entries.length === 0 ? false : entries;
}

function connectionLimits(input: ConfigInput): ConnectionLimits {
  const seconds = (value: number | string | undefined, fallback: number, name: string) => integer(value, fallback, name, 1) * 1000;
  return {
    headersTimeoutMs: seconds(input.headersTimeoutSeconds, DEFAULTS.headersTimeoutSeconds, 'headers timeout'),
    requestTimeoutMs: seconds(input.requestTimeoutSeconds, DEFAULTS.requestTimeoutSeconds, 'request timeout'),
    keepAliveTimeoutMs: seconds(input.keepAliveTimeoutSeconds, DEFAULTS.keepAliveTimeoutSeconds, 'keep-alive timeout'),
    idleTimeoutMs: seconds(input.idleTimeoutSeconds, DEFAULTS.idleTimeoutSeconds, 'idle timeout'),
    maxConnections: integer(input.maxConnections, DEFAULTS.maxConnections, 'max connections', 1),
  };
}

export function buildConfig(input: ConfigInput): ServerConfig {
  const host = input.host ?? DEFAULTS.host;
  const port = integer(input.port, DEFAULTS.port, 'port');
  if (port > 65535) throw new Error(`port must be at most 65535, got ${port}`);
  const dataDir = resolve(input.dataDir ?? DEFAULTS.dataDir);
  const tls = tlsFiles(input.tlsCert, input.tlsKey);
  const siteUrl = (input.siteUrl ?? defaultSiteUrl(host, port, tls !== null)).replace(/\/+$/, '');
  return Object.freeze({
    host,
    port,
    dataDir,
    databaseUrl: input.databaseUrl ?? '',
    siteUrl,
    nonceWindowMs: integer(input.nonceWindowSeconds, DEFAULTS.nonceWindowSeconds, 'nonce window', 1) * 1000,
    failedSignatureLimit: integer(input.failedSignatureLimit, DEFAULTS.failedSignatureLimit, 'failed signature limit', 1),
    failedSignatureWindowMs: DEFAULTS.failedSignatureWindowSeconds * 1000,
    logLevel: input.logLevel ?? DEFAULTS.logLevel,
    trustProxy: parseTrustProxy(input.trustProxy),
    connections: connectionLimits(input),
    redisUrl: input.redisUrl ?? '',
    tls,
    sessionTtlMs: integer(input.sessionTtlSeconds, DEFAULTS.sessionTtlSeconds, 'session lifetime', 1) * 1000,
    loginRateLimit: integer(input.loginRateLimit, DEFAULTS.loginRateLimit, 'login rate limit', 1),
    loginRateWindowMs: DEFAULTS.loginRateWindowSeconds * 1000,
    webDir: resolve(input.webDir ?? DEFAULTS.webDir),
    adminDir: resolve(input.adminDir ?? DEFAULTS.adminDir),
    backups: buildBackupConfig(input.backups ?? {}, dataDir),
    metrics: metricsListener(input.metricsHost, input.metricsPort),
    mail: buildMailConfig(input.mail ?? {}, dataDir, siteUrl),
    billingConfigFile: input.billingConfig === undefined || input.billingConfig === '' ? '' : resolve(input.billingConfig),
    auditRetentionMs: auditRetention(input.auditRetentionDays),
    passwordHashCost: passwordHashCost(input.passwordHashCost),
    devices: devicePolicy(input),
  });
}

/**
 * Secrets come from the environment only, never from argv (visible in `ps`).
 * Other options are read by the command line, which maps each to a variable.
 */
export function readSecrets(env: NodeJS.ProcessEnv = process.env): ServerSecrets {
  const metricsToken = env.ROTKI_PREMIUM_METRICS_TOKEN;
  return {
    masterKey: env.ROTKI_PREMIUM_MASTER_KEY,
    otherMasterKeys: env.ROTKI_PREMIUM_OTHER_MASTER_KEYS,
    s3SecretAccessKey: env.ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY,
    metricsToken: metricsToken === undefined || metricsToken === '' ? undefined : metricsToken,
    stripeSecretKey: env.ROTKI_PREMIUM_STRIPE_SECRET_KEY,
    stripeWebhookSecret: env.ROTKI_PREMIUM_STRIPE_WEBHOOK_SECRET,
  };
}
