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
  AccountSuspended: 'account_suspended',
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
  accountSuspended: () =>
    'This rotki premium account is suspended, so premium features are off. Contact the service\'s support to have it restored.',
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
  requestTooLarge: (limitBytes: number) => `Request body too large: this endpoint takes at most ${limitBytes} bytes`,
  notFound: () => 'Not found',
  internal: () => 'Internal server error',
  // Backups (PROTOCOL.md §5, decisions 3 and 4).
  backupQuotaExceeded: (limitMb: number, tier: string, totalSize: number) =>
    limitMb === 0
      ? `Size limit reached: your ${tier} plan does not include backups.`
      : `Size limit reached: the backup is ${totalSize} bytes but your ${tier} plan allows ${limitMb} MiB (${limitMb * 1_048_576} bytes).`,
  backupRequestTooLarge: (limitBytes: number) =>
    `Request body too large: a backup chunk request may carry at most ${limitBytes} bytes. Send chunks of 10,000,000 bytes.`,
  backupNotMultipart: () => 'backup/range expects a multipart/form-data body with text fields and the file part chunk_data',
  backupBadField: (field: string, expected: string) => `Invalid ${field}: ${expected}`,
  backupUnexpectedField: (field: string) =>
    `Unexpected form field "${field}": backup/range takes file_hash, last_modify_ts, compression, total_size, upload_id and nonce`,
  backupMissingFile: () => 'Missing the file part chunk_data holding the bytes of this chunk',
  backupBadContentRange: (detail: string) => `Invalid Content-Range: ${detail}. Send "bytes <first>-<last>/<total_size>".`,
  backupChunkTooLarge: (announced: number) =>
    `The chunk_data part is larger than the ${announced} bytes its Content-Range announces. Nothing was stored.`,
  backupChunkTooShort: (announced: number, received: number) =>
    `The chunk_data part holds ${received} bytes but its Content-Range announces ${announced}. Nothing was stored.`,
  backupChunkInterrupted: () => 'The chunk did not arrive completely. Nothing was stored; send the chunk again.',
  backupFirstChunkOffset: () => 'The first chunk of an upload (without upload_id) must start at byte 0',
  backupUnknownUpload: () =>
    'Unknown or expired upload_id. Start the upload again from the first chunk, without upload_id.',
  backupUploadReplaced: () =>
    'This upload was replaced by a newer one from the same account (or removed). Start the upload again.',
  backupUploadChanged: (field: string) =>
    `${field} differs from the first chunk of this upload. Start a new upload to send a different file.`,
  backupChunkOutOfOrder: (expectedStart: number, start: number) =>
    start > expectedStart
      ? `Chunk starts at byte ${start} but the upload has ${expectedStart} bytes: a gap. Send the chunk starting at byte ${expectedStart}.`
      : `Chunk starts at byte ${start} but the upload already has ${expectedStart} bytes: an overlap. Send the chunk starting at byte ${expectedStart}.`,
  backupHashMismatch: () =>
    'The uploaded data does not match file_hash (standard base64 of its SHA-256). The upload was discarded and the previous backup kept.',
  backupNotFound: () => 'No backup is stored for this account',
  backupBaseMismatch: () =>
    'The backup on the server is not the one this data was last synced from: another device uploaded, or a version was restored or deleted on the website. Nothing was replaced. Download the server backup first, or force the upload to replace it.',
} as const;

/** `code` of the backup errors, so a client can tell them apart without parsing the text. */
export const BackupErrorCode = {
  QuotaExceeded: 'backup_quota_exceeded',
  RequestTooLarge: 'backup_request_too_large',
  InvalidChunk: 'backup_invalid_chunk',
  UnknownUpload: 'backup_unknown_upload',
  UploadReplaced: 'backup_upload_replaced',
  OutOfOrder: 'backup_chunk_out_of_order',
  HashMismatch: 'backup_hash_mismatch',
  NotFound: 'backup_not_found',
  /** Our client's upload names a base that is not the current backup (409, with `current`). */
  BaseMismatch: 'backup_base_mismatch',
} as const;
export type BackupErrorCode = (typeof BackupErrorCode)[keyof typeof BackupErrorCode];
