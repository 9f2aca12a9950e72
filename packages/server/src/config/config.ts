import { resolve } from 'node:path';

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
  /** Failed signatures allowed per API key and per client address in `failedSignatureWindowMs`. */
  failedSignatureLimit: number;
  failedSignatureWindowMs: number;
  logLevel: string;
  /** Trust X-Forwarded-* from a reverse proxy. */
  trustProxy: boolean;
}

export interface ServerSecrets {
  /** `ROTKI_PREMIUM_MASTER_KEY`; when empty the key file in the data folder is used. */
  masterKey: string | undefined;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4243,
  dataDir: './data',
  nonceWindowSeconds: 300,
  failedSignatureLimit: 20,
  failedSignatureWindowSeconds: 60,
  logLevel: 'info',
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
}

function integer(value: number | string | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${value}"`);
  return parsed;
}

export function buildConfig(input: ConfigInput): ServerConfig {
  const host = input.host ?? DEFAULTS.host;
  const port = integer(input.port, DEFAULTS.port, 'port');
  if (port > 65535) throw new Error(`port must be at most 65535, got ${port}`);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return Object.freeze({
    host,
    port,
    dataDir: resolve(input.dataDir ?? DEFAULTS.dataDir),
    databaseUrl: input.databaseUrl ?? '',
    siteUrl: (input.siteUrl ?? `http://${displayHost}:${port}`).replace(/\/+$/, ''),
    nonceWindowMs: integer(input.nonceWindowSeconds, DEFAULTS.nonceWindowSeconds, 'nonce window', 1) * 1000,
    failedSignatureLimit: integer(input.failedSignatureLimit, DEFAULTS.failedSignatureLimit, 'failed signature limit', 1),
    failedSignatureWindowMs: DEFAULTS.failedSignatureWindowSeconds * 1000,
    logLevel: input.logLevel ?? DEFAULTS.logLevel,
    trustProxy: input.trustProxy === true || input.trustProxy === 'true' || input.trustProxy === '1',
  });
}

/**
 * Secrets come from the environment only, never from argv (visible in `ps`).
 * Other options are read by the command line, which maps each to a variable.
 */
export function readSecrets(env: NodeJS.ProcessEnv = process.env): ServerSecrets {
  return { masterKey: env.ROTKI_PREMIUM_MASTER_KEY };
}
