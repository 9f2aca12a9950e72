import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Everything the app reads from its options and environment, read once. */
export interface AppConfig {
  /** Always loopback: the local API holds the user's data and keys. */
  host: '127.0.0.1';
  port: number;
  /** The premium server. */
  serverUrl: string;
  /** The subscriber website, for links (default: the premium server, which serves it). */
  siteUrl: string;
  dataDir: string;
  /** How often premium is re-checked with the server. */
  checkIntervalMs: number;
  /** The least time between two automatic uploads. */
  uploadIntervalMs: number;
  /** Where the built UI is; null serves the API only. */
  uiDir: string | null;
  /** The name this device registers with; null: the host name (renamable later). */
  deviceName: string | null;
}

export const DEFAULT_PORT = 4242;
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4243';
export const HOUR_MS = 3_600_000;

export const ENV = {
  data: 'ROTKI_PREMIUM_APP_DATA',
  server: 'ROTKI_PREMIUM_SERVER_URL',
  site: 'ROTKI_PREMIUM_SITE_URL',
  port: 'ROTKI_PREMIUM_APP_PORT',
  password: 'ROTKI_PREMIUM_APP_PASSWORD',
  apiSecret: 'ROTKI_PREMIUM_API_SECRET',
  checkInterval: 'ROTKI_PREMIUM_APP_CHECK_INTERVAL_SECONDS',
  deviceName: 'ROTKI_PREMIUM_DEVICE_NAME',
} as const;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'rotki-premium-app');
}

export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`The server address must be a URL such as ${DEFAULT_SERVER_URL}, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`The server address must start with http:// or https://, got "${value}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function positiveInt(value: string | number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > max) throw new Error(`${name} must be a whole number from 0 to ${max}, got "${value}"`);
  return parsed;
}

function deviceNameOf(value: string | undefined): string | null {
  const name = (value ?? '').trim();
  if (name === '') return null;
  if ([...name].length > 100) throw new Error('The device name has at most 100 characters');
  return name;
}

export interface ConfigInput {
  port?: string | number | undefined;
  server?: string | undefined;
  site?: string | undefined;
  data?: string | undefined;
  checkIntervalSeconds?: string | number | undefined;
  uiDir?: string | null | undefined;
  deviceName?: string | undefined;
}

export function buildConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const serverUrl = parseServerUrl(input.server ?? env[ENV.server] ?? DEFAULT_SERVER_URL);
  const checkSeconds = positiveInt(input.checkIntervalSeconds ?? env[ENV.checkInterval], HOUR_MS / 1000, 'check interval');
  return Object.freeze({
    host: '127.0.0.1' as const,
    port: positiveInt(input.port ?? env[ENV.port], DEFAULT_PORT, 'port', 65535),
    serverUrl,
    siteUrl: parseServerUrl(input.site ?? env[ENV.site] ?? serverUrl),
    dataDir: resolve(input.data ?? env[ENV.data] ?? defaultDataDir(env)),
    checkIntervalMs: Math.max(1, checkSeconds) * 1000,
    uploadIntervalMs: HOUR_MS,
    uiDir: input.uiDir === undefined ? resolve(import.meta.dirname, '../dist/ui') : input.uiDir,
    deviceName: deviceNameOf(input.deviceName ?? env[ENV.deviceName]),
  });
}
