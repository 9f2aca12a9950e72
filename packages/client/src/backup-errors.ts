import { BackupCurrent, BackupErrorCode } from '@rotki-premium/protocol';
import { jsonField } from './backup-exchange.ts';
import { PremiumClientError, RemoteError } from './errors.ts';
import { errorFromResponse, type PremiumResponse } from './premium-response.ts';

/** The server refused the upload with 413: the backup is larger than the plan allows. */
export class BackupQuotaExceededError extends RemoteError {
  /** The plan's limit in MiB, when the server names it. */
  readonly limitMb: number | null;
  /** The plan's name, when the server names it. */
  readonly tier: string | null;

  constructor(message: string, status: number, body: string, limitMb: number | null, tier: string | null) {
    super(message, status, body, BackupErrorCode.QuotaExceeded);
    this.limitMb = limitMb;
    this.tier = tier;
  }
}

/**
 * The server refused the upload because its backup is not the one `baseHash`
 * names (another device uploaded, or a version was restored or deleted on the
 * website). Nothing was replaced; `current` is what the server holds now.
 */
export class BackupBaseMismatchError extends RemoteError {
  readonly current: BackupCurrent;

  constructor(message: string, status: number, body: string, current: BackupCurrent) {
    super(message, status, body, BackupErrorCode.BaseMismatch);
    this.current = current;
  }
}

/** The server refused the completed upload: the bytes it received do not match their SHA-256. The previous backup is kept. */
export class BackupHashRejectedError extends RemoteError {}

/** The local file cannot be uploaded (missing, unreadable or empty), or a download could not be written or checked. */
export class BackupFileError extends PremiumClientError {}

/** The typed error for a refused upload chunk (413, a base or hash mismatch), else the transport's. */
export function uploadError(response: PremiumResponse): PremiumClientError {
  const code = jsonField(response.body, 'code');
  if (response.status === 413) {
    const limit = jsonField(response.body, 'max_backup_size_mb');
    const tier = jsonField(response.body, 'tier');
    const message = jsonField(response.body, 'error');
    return new BackupQuotaExceededError(
      typeof message === 'string' && message !== '' ? message : 'Size limit reached: the backup is larger than your plan allows.',
      response.status,
      response.body.toString('utf8'),
      typeof limit === 'number' ? limit : null,
      typeof tier === 'string' ? tier : null,
    );
  }
  if (code === BackupErrorCode.BaseMismatch) {
    const message = jsonField(response.body, 'error');
    const current = BackupCurrent.safeParse(jsonField(response.body, 'current'));
    if (current.success) {
      return new BackupBaseMismatchError(
        typeof message === 'string' ? message : 'The server holds another backup than the one this data was synced from.',
        response.status,
        response.body.toString('utf8'),
        current.data,
      );
    }
  }
  if (code === BackupErrorCode.HashMismatch) {
    const message = jsonField(response.body, 'error');
    return new BackupHashRejectedError(
      typeof message === 'string' ? message : 'The server refused the backup: its SHA-256 does not match.',
      response.status,
      response.body.toString('utf8'),
      code,
    );
  }
  return errorFromResponse(response);
}
