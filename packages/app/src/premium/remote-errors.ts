import {
  AuthenticationError,
  CredentialsRejectedError,
  DeviceLimitError,
  InvalidCredentialsFormatError,
  RemoteError,
  ServerUnreachableError,
  SubscriptionInactiveError,
} from '@rotki-premium/client';
import { AuthErrorCode } from '@rotki-premium/protocol';
import { AppError, texts } from '../errors.ts';

/**
 * Turns what the premium client throws into the app's own errors, each with
 * its distinct message: malformed secret, key rejected, subscription not
 * active (with the date), device limit (with the devices), device removed,
 * server unreachable.
 */
export interface ErrorContext {
  devicesUrl: string;
  /** The pair was set up successfully before (it is the stored one): an unknown key now means it was regenerated. */
  pairWorkedBefore: boolean;
}

export function toAppError(error: unknown, { devicesUrl, pairWorkedBefore }: ErrorContext): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof InvalidCredentialsFormatError) return new AppError('invalid_credentials_format', texts.invalidFormat());
  if (error instanceof SubscriptionInactiveError) {
    return new AppError('subscription_inactive', error.message, {
      ended_on: error.endedOn === null ? null : error.endedOn.toISOString().slice(0, 10),
    });
  }
  if (error instanceof CredentialsRejectedError) {
    if (error.code === AuthErrorCode.DeviceRemoved) return new AppError('device_removed', texts.deviceRemoved());
    if (error.code === AuthErrorCode.UnknownApiKey) {
      return new AppError('key_rejected', pairWorkedBefore ? texts.keyNoLongerValid() : texts.keyUnknown());
    }
    if (error.code === AuthErrorCode.SignatureMismatch) return new AppError('key_rejected', texts.secretMismatch());
    return new AppError('key_rejected', texts.keyRejected(error.message));
  }
  if (error instanceof AuthenticationError) return new AppError('remote_error', error.message);
  if (error instanceof DeviceLimitError) {
    return new AppError('device_limit', texts.deviceLimit(error.message), {
      devices: error.devices,
      limit: error.limit,
      devices_url: devicesUrl,
    });
  }
  if (error instanceof ServerUnreachableError) return new AppError('server_unreachable', texts.unreachable(error.message));
  // The server knows no such device (of this account): the user's request names something gone, not a server failure.
  if (error instanceof RemoteError && error.status === 404) return new AppError('not_found', error.message);
  if (error instanceof RemoteError) return new AppError('remote_error', error.message);
  if (error instanceof TypeError && /premium server address/.test(error.message)) return new AppError('invalid_input', error.message);
  throw error;
}
