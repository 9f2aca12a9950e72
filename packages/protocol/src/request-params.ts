import type { SignMethod } from './signing.ts';

/**
 * The endpoint catalogue of PROTOCOL.md §2: where each call goes, how its
 * parameters travel and which sign method covers them. The client builds
 * requests from it; the server routes and verifies with it.
 */
export type ParamTransport = 'query' | 'form' | 'json' | 'multipart' | 'none';
export type ApiPrefix = '/api/1' | '/nest/1';

export interface PremiumEndpoint {
  httpMethod: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  prefix: ApiPrefix;
  /** Path after the prefix, without a leading slash. */
  path: string;
  signMethod: SignMethod | null;
  transport: ParamTransport;
  /** Signed parameters in the order the rotki app sends them (nonce last). */
  params: readonly string[];
}

function endpoint(
  httpMethod: PremiumEndpoint['httpMethod'],
  prefix: ApiPrefix,
  path: string,
  signMethod: SignMethod | null,
  transport: ParamTransport,
  params: readonly string[],
): PremiumEndpoint {
  return { httpMethod, prefix, path, signMethod, transport, params };
}

export const ENDPOINTS = {
  lastDataMetadata: endpoint('GET', '/api/1', 'last_data_metadata', 'last_data_metadata', 'form', ['nonce']),
  statisticsRenderer: endpoint('GET', '/api/1', 'statistics_rendererv2', 'statistics_rendererv2', 'form', [
    'version',
    'nonce',
  ]),
  /** Signed over the JSON body with no nonce; the GET body is `{}`. */
  watchers: endpoint('GET', '/api/1', 'watchers', 'watchers', 'json', []),
  listDevices: endpoint('GET', '/nest/1', 'devices', 'devices', 'query', ['nonce']),
  checkDevice: endpoint('POST', '/nest/1', 'devices/check', 'devices', 'json', ['device_identifier', 'nonce']),
  registerDevice: endpoint('PUT', '/nest/1', 'devices', 'devices', 'json', [
    'device_identifier',
    'device_name',
    'platform',
    'nonce',
  ]),
  renameDevice: endpoint('PATCH', '/nest/1', 'devices', 'devices', 'json', ['device_identifier', 'device_name', 'nonce']),
  deleteDevice: endpoint('DELETE', '/nest/1', 'devices', 'devices', 'json', ['device_identifier', 'nonce']),
  limits: endpoint('GET', '/nest/1', 'limits', 'limits', 'query', ['nonce']),
  unlocks: endpoint('GET', '/nest/1', 'limits/unlocks', null, 'none', []),
  downloadBackup: endpoint('GET', '/nest/1', 'backup', 'backup', 'query', ['nonce']),
  uploadBackupChunk: endpoint('POST', '/nest/1', 'backup/range', 'backup/range', 'multipart', [
    'file_hash',
    'last_modify_ts',
    'compression',
    'total_size',
    'upload_id',
    // Our client only (compare-and-swap, issue 9); the rotki app never sends it.
    'base_hash',
    'nonce',
  ]),
  /** Our app only (issue 9): the current backup and the versions kept, with who uploaded each. */
  backupHistory: endpoint('GET', '/nest/1', 'backup/history', 'backup/history', 'query', ['nonce']),
  /** Our app only (issue 9): which devices are stale, and the stale devices replaced at the limit. */
  deviceStatus: endpoint('GET', '/nest/1', 'devices/status', 'devices/status', 'query', ['nonce']),
} as const satisfies Record<string, PremiumEndpoint>;

export type EndpointName = keyof typeof ENDPOINTS;

/** The URL path of an endpoint, e.g. `/nest/1/devices/check`. */
export function endpointPath(e: PremiumEndpoint): string {
  return `${e.prefix}/${e.path}`;
}

/** Signed-request headers. */
export const API_KEY_HEADER = 'api-key';
export const API_SIGN_HEADER = 'api-sign';
/** Sent by the server with a nonce-window refusal so clients can correct their clock. */
export const SERVER_TIME_HEADER = 'x-server-time-ms';

/** The chunk size the rotki app uploads with. */
export const UPLOAD_CHUNK_SIZE = 10_000_000;

/**
 * Sent with a downloaded backup: `sha-256=:<standard base64>:` (RFC 9530), the
 * stored `data_hash`, so a client can check the bytes it received. The rotki
 * app ignores it.
 */
export const BACKUP_DIGEST_HEADER = 'repr-digest';
