/**
 * Every error the premium API answers, in one registry: code → HTTP status and
 * the message shown to the user (rotki shows the `error` text as is).
 * Both the server (to answer) and the client (to recognise) import it.
 */

export interface ErrorBody {
  error: string;
  code?: string;
}

export type ApiFamily = 'api' | 'nest';

/** Auth failures: 401 on `/api/1/*`, 403 on `/nest/1/*` (PROTOCOL.md decision 1). */
export function authFailureStatus(family: ApiFamily): 401 | 403 {
  return family === 'api' ? 401 : 403;
}

export const AuthErrorCode = {
  MissingCredentials: 'missing_credentials',
  UnknownApiKey: 'unknown_api_key',
  SignatureMismatch: 'signature_mismatch',
  SubscriptionInactive: 'subscription_inactive',
  Replayed: 'request_replayed',
  NonceOutsideWindow: 'nonce_outside_window',
  DeviceRemoved: 'device_removed',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

export const messages = {
  missingCredentials: () => 'Missing API-KEY or API-SIGN header',
  unknownApiKey: () =>
    'API key not recognised. Check that you copied it completely, or create new credentials on your subscription page.',
  signatureMismatch: () =>
    'API KEY signature mismatch. Check that the API secret belongs to this API key and was copied completely.',
  subscriptionInactive: (expiredOn: Date | null) =>
    expiredOn === null
      ? 'Your rotki premium subscription is not active.'
      : `Your rotki premium subscription is not active: it ended on ${expiredOn.toISOString().slice(0, 10)}.`,
  replayed: () => 'Request replayed: this nonce and signature were already used. Sign every request afresh.',
  nonceOutsideWindow: (windowSeconds: number) =>
    `Request nonce is outside the accepted window of ±${windowSeconds} seconds around server time. Check this computer's clock.`,
  deviceRemoved: () =>
    'This device was removed from your premium account. Set up the API credentials again to register it.',
  rateLimited: (retryAfterSeconds: number) =>
    `Too many requests with invalid signatures. Try again in ${retryAfterSeconds} seconds.`,
  deviceLimit: (limit: number, tier: string, siteUrl: string) =>
    `Device limit of ${limit} reached for your ${tier} plan. Remove a device at ${siteUrl}/home/devices or upgrade your plan.`,
  deviceExists: () => 'Device with this identifier already exists',
  deviceNotFound: () => 'Device not found',
  deviceNotRegistered: () => 'Device is not registered',
  invalidDeviceName: () => 'device_name must be between 1 and 100 characters',
  invalidRequest: (detail: string) => `Invalid request: ${detail}`,
  premiumComponentsUnavailable: () => 'Premium UI components are not provided by this server',
  watchersUnsupported: () => 'Watchers are not supported by this server',
  notFound: () => 'Not found',
  internal: () => 'Internal server error',
} as const;
