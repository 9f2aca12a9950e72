import type { Device } from '@rotki-premium/protocol';

/**
 * Every error the app's local API and CLI raise on purpose, in one registry:
 * kind → HTTP status of the local API. The message is shown to the user as is.
 */
export const ERROR_STATUS = {
  invalid_input: 400,
  invalid_credentials_format: 400,
  wrong_password: 401,
  remote_password_mismatch: 401,
  not_logged_in: 409,
  already_logged_in: 409,
  user_exists: 409,
  user_not_found: 404,
  premium_not_set_up: 409,
  key_rejected: 403,
  subscription_inactive: 403,
  device_limit: 403,
  device_removed: 403,
  current_device: 409,
  server_unreachable: 502,
  remote_error: 502,
  upload_not_allowed: 409,
  sync_in_progress: 409,
  no_remote_backup: 404,
  corrupt_backup: 502,
  not_found: 404,
} as const;

export type AppErrorKind = keyof typeof ERROR_STATUS;

/** Extra facts for the UI: the device-limit dialog needs the devices and the website link. */
export interface AppErrorDetails {
  devices?: Device[];
  limit?: number | null;
  devices_url?: string;
  /** The day a subscription ended, YYYY-MM-DD. */
  ended_on?: string | null;
}

export class AppError extends Error {
  readonly kind: AppErrorKind;
  readonly details: AppErrorDetails;

  constructor(kind: AppErrorKind, message: string, details: AppErrorDetails = {}) {
    super(message);
    this.name = 'AppError';
    this.kind = kind;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.kind];
  }
}

/** The texts the user sees, in one place. */
export const texts = {
  invalidFormat: () => 'Given API Key/Secret pair format is invalid',
  keyRejected: (detail: string) => `rotki API key was rejected by server: ${detail}`,
  deviceRemoved: () =>
    'This device was removed from your rotki premium account, so premium is off here. Click Setup to register this device again (it takes one device slot).',
  deviceLimit: (serverText: string) => `Could not activate premium on this device. ${serverText}`,
  unreachable: (detail: string) => `Could not reach the rotki server to verify premium keys. ${detail}`,
  premiumNotSetUp: () => 'rotki Premium is not set up for this user. Add the API key and secret first.',
  currentDevice: () => 'Cannot delete the current device',
  notLoggedIn: () => 'No user is logged in',
  wrongPassword: () => 'Wrong password for this user',
  remotePasswordMismatch: () =>
    'The given password can not unlock the database that was retrieved from the server. Use the password you used on the device that uploaded it. Nothing was changed.',
  remoteNewer: () => 'Detected remote database more recent than local. ',
  noRemoteBackup: () => 'No data found',
  uploadNotAllowed: (tier: string) => `Upload failed. Your ${tier} plan does not include a backup on the rotki server.`,
  active: () => 'rotki Premium is active',
} as const;
