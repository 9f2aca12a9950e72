import type { CredentialProblem } from '@rotki-premium/client';
import type { BackupCurrent, Device } from '@rotki-premium/protocol';
import { formatAgo, formatBytes, formatUtc } from '@rotki-premium/protocol/wording';

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
  sync_conflict: 409,
  sync_cancelled: 409,
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
  /** `sync_conflict`: the backup the server holds now, with who uploaded it. */
  current?: BackupCurrent;
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

const CREDENTIAL_PROBLEM_TEXTS: Record<CredentialProblem, string> = {
  swapped: 'The API key and the API secret are swapped: the key starts with "rpk_", the secret with "rPSk". Paste each into its own field.',
  key_damaged: 'The API key is damaged: characters are missing or changed. Copy it again, completely, from your subscription page.',
  secret_damaged: 'The API secret is damaged: characters are missing or changed. Copy it again, completely, from your subscription page.',
  both_damaged: 'The API key and the API secret are both damaged: characters are missing or changed. Copy both again, completely, from your subscription page.',
};

/** Who uploaded a backup, when and how big: "Work laptop (linux), uploaded 2026-12-02 14:01:05 UTC (3 minutes ago), 2.1 MiB". */
function backupOrigin(current: BackupCurrent, nowSeconds: number): string {
  const when = `${formatUtc(current.upload_ts)} (${formatAgo(current.upload_ts, nowSeconds)})`;
  return `${current.uploaded_by ?? 'an unknown device'}, uploaded ${when}, ${formatBytes(current.data_size)}`;
}

/** The texts the user sees, in one place. */
export const texts = {
  invalidFormat: () => 'Given API Key/Secret pair format is invalid',
  /** Found offline, before any request: which value is damaged, or that they are swapped. */
  credentialProblem: (problem: CredentialProblem) => CREDENTIAL_PROBLEM_TEXTS[problem],
  keyRejected: (detail: string) => `rotki API key was rejected by server: ${detail}`,
  /** A key this user set up successfully is now unknown to the server: the pair was regenerated on the website. */
  keyNoLongerValid: () =>
    'This API key is no longer valid: it was probably regenerated on your subscription page, which stops the old pair on every device. Copy the current API key and secret from your subscription page and enter them here with Replace.',
  /** A key entered now that the server does not know. */
  keyUnknown: () =>
    'rotki API key was rejected by server: the server does not know this API key. Copy the API key again, completely, from your subscription page.',
  secretMismatch: () =>
    'rotki API key was rejected by server: the API secret does not belong to this API key. Copy both values again from your subscription page.',
  deviceRemoved: () =>
    'This device was removed from your rotki premium account, so premium is off here. Click Setup to register this device again (it takes one device slot).',
  /** The server's text names the devices page by its address; the app links to it, so the address is not repeated as text. */
  deviceLimit: (serverText: string) =>
    `Could not activate premium on this device. ${serverText.replace(/ at https?:\/\/\S+\/home\/devices/, '')}`,
  unreachable: (detail: string) => `Could not reach the rotki server to verify premium keys. ${detail}`,
  premiumNotSetUp: () => 'rotki Premium is not set up for this user. Add the API key and secret first.',
  currentDevice: () => 'Cannot delete the current device',
  notLoggedIn: () => 'No user is logged in',
  wrongPassword: () => 'Wrong password for this user',
  remotePasswordMismatch: () =>
    'The given password can not unlock the database that was retrieved from the server. Use the password you used on the device that uploaded it. Nothing was changed.',
  remoteNewer: () => 'Detected remote database more recent than local. ',
  noRemoteBackup: () => 'No data found',
  uploadCancelled: () => "Upload cancelled. Nothing was replaced on the rotki server, and this device's data is unchanged.",
  nothingToUpload: (syncedAgo: string) =>
    `Nothing to upload: the backup on the rotki server is this device's data (synced ${syncedAgo}), and nothing changed here since.`,
  uploadNotAllowed: (tier: string) => `Upload failed. Your ${tier} plan does not include a backup on the rotki server.`,
  active: () => 'rotki Premium is active',
  backupOrigin,
  /** The server refused the upload: its backup is not the one this data was last synced from. */
  syncConflict: (current: BackupCurrent, nowSeconds: number) =>
    current.data_hash === ''
      ? "Not uploaded: the backup this data was last synced from is no longer on the rotki server (it was deleted, for example on the website). Nothing was replaced. Force the upload to store this device's data there."
      : `Not uploaded: the rotki server holds a backup this device has not synced, from ${backupOrigin(current, nowSeconds)}. Uploading would replace it and lose the changes made there. Nothing was replaced. Download it first (this device's data is kept as a file), or force the upload to replace it with this device's data.`,
  /** Another upload to the account started while this one ran (the server keeps one upload per account). */
  uploadReplaced: () =>
    'Not uploaded: another upload to this account started while this one was running (from another device, or another window). Nothing was replaced by this upload. Sync again: if that upload finished, the app shows what the server holds now.',
  /** The automatic upload met a backup this device has not synced: it never forces. */
  autoUploadConflict: (current: BackupCurrent, nowSeconds: number) =>
    current.data_hash === ''
      ? "Automatic upload skipped: the backup this data was last synced from is no longer on the rotki server. Upload by hand to store this device's data there."
      : `Automatic upload skipped: the rotki server holds a backup this device has not synced, from ${backupOrigin(current, nowSeconds)}. Download it, or force the upload, from the Sync menu.`,
} as const;
