export {
  PremiumClient,
  fetchUnlocks,
  type DeviceAuthentication,
  type DeviceToRegister,
  type PremiumClientOptions,
  type RegisterOutcome,
} from './premium-client.ts';
export {
  buildSignedRequest,
  type BuiltRequest,
  type MultipartFile,
  type PremiumConnection,
  type SignedParams,
} from './signed-request.ts';
export { errorFromResponse, parseResponse, type PremiumResponse } from './premium-response.ts';
export { DEFAULT_TIMEOUT_MS, sendSigned, sendUnsigned, type PublicTarget, type SendOptions } from './transport.ts';
export { ServerClock } from './server-clock.ts';
export {
  MACHINE_ID_ENV,
  MachineIdUnavailableError,
  defaultDeviceName,
  deviceIdentifier,
  hashDeviceIdentifier,
  machineId,
  platformName,
} from './device-identity.ts';
export {
  AuthenticationError,
  CredentialsRejectedError,
  DeviceLimitError,
  InvalidApiKeyFormatError,
  InvalidCredentialsFormatError,
  InvalidSecretFormatError,
  PremiumClientError,
  RemoteError,
  ServerUnreachableError,
  SubscriptionInactiveError,
} from './errors.ts';
export { CLIENT_VERSION, DEFAULT_USER_AGENT } from './version.ts';
export {
  BackupBaseMismatchError,
  BackupFileError,
  BackupHashRejectedError,
  BackupQuotaExceededError,
} from './backup-errors.ts';
export type { DownloadProgress } from './download-digest.ts';
export {
  BACKUP_TIMEOUT_MS,
  downloadBackup,
  uploadBackup,
  type DownloadBackupOptions,
  type DownloadBackupResult,
  type UploadBackupOptions,
  type UploadBackupResult,
  type UploadProgress,
} from './backup.ts';
export { credentialProblem, type CredentialProblem } from './credential-check.ts';
