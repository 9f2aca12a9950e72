import type { PremiumEndpoint } from '@rotki-premium/protocol';
import { deviceId, ENDPOINTS, registration, type HttpMethod, type Pairs } from './rotki-app.ts';

/**
 * Every signed route of the premium API, with parameters the rotki app would
 * send and what an account in good standing gets back. Suites that check a
 * property of all signed routes (auth failures, rate limits) loop over this.
 */
export interface SignedRoute {
  name: string;
  endpoint: PremiumEndpoint;
  /** Another method on the endpoint's path (watchers). */
  method?: HttpMethod;
  /** 401 on /api/1, 403 on /nest/1 (PROTOCOL.md decision 1). */
  authStatus: 401 | 403;
  /** False for watchers, which the app signs without a nonce. */
  usesNonce: boolean;
  /**
   * Parameters for one request. `intent` 'refused' names state that must stay
   * untouched when the request is refused; `target` is a registered device.
   */
  params(intent: 'accepted' | 'refused', target: string, seq: number): Pairs;
  /** The status of an accepted request. */
  okStatus: number;
}

const watcher = { type: 'makervault_collateralization_ratio', args: { ratio: '200.5', op: 'gt', vault_id: '24' } };

export const REFUSED_NAME_PREFIX = 'refused-';

export function refusedDevice(seq: number): string {
  return deviceId(`refused-registration-${seq}`);
}

export const SIGNED_ROUTES: readonly SignedRoute[] = [
  { name: 'GET /api/1/last_data_metadata', endpoint: ENDPOINTS.lastDataMetadata, authStatus: 401, usesNonce: true, params: () => [], okStatus: 200 },
  {
    name: 'GET /api/1/statistics_rendererv2',
    endpoint: ENDPOINTS.statisticsRenderer,
    authStatus: 401,
    usesNonce: true,
    params: () => [['version', 16]],
    okStatus: 400,
  },
  { name: 'GET /api/1/watchers', endpoint: ENDPOINTS.watchers, authStatus: 401, usesNonce: false, params: () => [], okStatus: 200 },
  {
    name: 'PUT /api/1/watchers',
    endpoint: ENDPOINTS.watchers,
    method: 'PUT',
    authStatus: 401,
    usesNonce: false,
    params: () => [['watchers', [watcher]]],
    okStatus: 400,
  },
  {
    name: 'PATCH /api/1/watchers',
    endpoint: ENDPOINTS.watchers,
    method: 'PATCH',
    authStatus: 401,
    usesNonce: false,
    params: () => [['watchers', [{ identifier: 'w1', ...watcher }]]],
    okStatus: 400,
  },
  {
    name: 'DELETE /api/1/watchers',
    endpoint: ENDPOINTS.watchers,
    method: 'DELETE',
    authStatus: 401,
    usesNonce: false,
    params: () => [['watchers', ['w1']]],
    okStatus: 400,
  },
  { name: 'GET /nest/1/devices', endpoint: ENDPOINTS.listDevices, authStatus: 403, usesNonce: true, params: () => [], okStatus: 200 },
  {
    name: 'POST /nest/1/devices/check',
    endpoint: ENDPOINTS.checkDevice,
    authStatus: 403,
    usesNonce: true,
    params: (_intent, target) => [['device_identifier', target]],
    okStatus: 200,
  },
  {
    name: 'PUT /nest/1/devices',
    endpoint: ENDPOINTS.registerDevice,
    authStatus: 403,
    usesNonce: true,
    params: (intent, _target, seq) =>
      intent === 'refused'
        ? registration(refusedDevice(seq), `${REFUSED_NAME_PREFIX}${seq}`)
        : registration(deviceId(`accepted-registration-${seq}`), `accepted-${seq}`),
    okStatus: 201,
  },
  {
    name: 'PATCH /nest/1/devices',
    endpoint: ENDPOINTS.renameDevice,
    authStatus: 403,
    usesNonce: true,
    params: (intent, target, seq) => [
      ['device_identifier', target],
      ['device_name', intent === 'refused' ? `${REFUSED_NAME_PREFIX}${seq}` : `accepted-${seq}`],
    ],
    okStatus: 200,
  },
  {
    name: 'DELETE /nest/1/devices',
    endpoint: ENDPOINTS.deleteDevice,
    authStatus: 403,
    usesNonce: true,
    // An accepted delete names a device that was never registered (an idempotent 200), so the target stays for later cases.
    params: (intent, target) => [['device_identifier', intent === 'refused' ? target : deviceId('never-registered')]],
    okStatus: 200,
  },
  { name: 'GET /nest/1/limits', endpoint: ENDPOINTS.limits, authStatus: 403, usesNonce: true, params: () => [], okStatus: 200 },
  // Our app only (issue 9), refused as the rest of /nest/1.
  { name: 'GET /nest/1/devices/status', endpoint: ENDPOINTS.deviceStatus, authStatus: 403, usesNonce: true, params: () => [], okStatus: 200 },
];
