import type { AppErrorKind } from '../errors.ts';

/** Why premium is off (or was refused), for the UI to pick its wording and actions. */
export type PremiumReason = Extract<
  AppErrorKind,
  'key_rejected' | 'subscription_inactive' | 'device_removed' | 'device_limit' | 'server_unreachable' | 'remote_error'
>;

export interface PremiumStatus {
  user: string;
  premium_active: boolean;
  has_credentials: boolean;
  /** The start of the stored API key, enough to tell pairs apart. */
  api_key_hint: string | null;
  plan: string | null;
  limit_of_devices: number | null;
  max_backup_size_mb: number | null;
  message: string | null;
  reason: PremiumReason | null;
  /** Unix seconds of the last check with the server. */
  last_check_ts: number | null;
  current_device_id: string;
  server_url: string;
  subscription_url: string;
  devices_url: string;
}

export type CheckTrigger = 'login' | 'periodic' | 'manual';

/** The start of the stored API key, enough to tell pairs apart. */
export function keyHint(apiKey: string): string {
  return apiKey.length <= 10 ? apiKey : `${apiKey.slice(0, 10)}…`;
}
