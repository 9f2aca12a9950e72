import { BackupCurrent, Device, DeviceReplacement } from '@rotki-premium/protocol/schemas';
import { z } from 'zod';

/** The local API's answers, as this UI reads them. A schema and its type share a name. */

export const Users = z.record(z.string(), z.enum(['loggedin', 'loggedout']));
export type Users = z.infer<typeof Users>;

// Devices are the premium API's own shape; the local API adds which one is this device, which are
// stale (null days: the server does not mark them) and the stale devices the server replaced.
export { Device, DeviceReplacement };

export const DeviceList = z.object({
  devices: z.array(Device.extend({ stale: z.boolean() })),
  limit: z.number().int(),
  current_device_id: z.string(),
  stale_after_days: z.number().int().nullable(),
  replacements: z.array(DeviceReplacement),
});
export type DeviceList = z.infer<typeof DeviceList>;

export const SyncProgress = z.object({
  action: z.enum(['upload', 'download']),
  phase: z.string(),
  chunk: z.number(),
  total_chunks: z.number(),
  bytes: z.number(),
  total_bytes: z.number(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;

export const SyncOutcome = z.object({
  action: z.enum(['upload', 'download']),
  result: z.boolean(),
  message: z.string(),
  finished_at: z.number(),
  /** The user cancelled the upload: nothing changed. */
  cancelled: z.boolean().optional(),
  /** It failed (not merely skipped, such as "Nothing to upload"). */
  failed: z.boolean().optional(),
});
export type SyncOutcome = z.infer<typeof SyncOutcome>;

export const PremiumStatus = z.object({
  user: z.string(),
  premium_active: z.boolean(),
  has_credentials: z.boolean(),
  api_key_hint: z.string().nullable(),
  plan: z.string().nullable(),
  limit_of_devices: z.number().nullable(),
  max_backup_size_mb: z.number().nullable(),
  message: z.string().nullable(),
  reason: z.string().nullable(),
  last_check_ts: z.number().nullable(),
  current_device_id: z.string(),
  server_url: z.string(),
  subscription_url: z.string(),
  devices_url: z.string(),
  sync: SyncProgress.nullable().optional(),
  last_sync: SyncOutcome.nullable().optional(),
});
export type PremiumStatus = z.infer<typeof PremiumStatus>;

export const Settings = z.object({
  premium_should_sync: z.boolean(),
  ask_user_upon_size_discrepancy: z.boolean(),
  last_write_ts: z.number(),
});
export type Settings = z.infer<typeof Settings>;

/** The login question. The sizes are rotki's fields; they cannot be compared (a database against a compressed, encrypted blob), so they are not shown. */
export const SyncQuestion = z.object({
  local_last_modified: z.number(),
  remote_last_modified: z.number(),
  local_size: z.number(),
  remote_size: z.number(),
  remote_upload_ts: z.number().optional(),
  remote_uploaded_by: z.string().nullable().optional(),
  local_last_synced: z.number().optional(),
});
export type SyncQuestion = z.infer<typeof SyncQuestion>;

export const Note = z.object({
  identifier: z.number(),
  title: z.string(),
  content: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type Note = z.infer<typeof Note>;

export const DeviceLimitDetails = z.object({
  devices: z.array(Device),
  limit: z.number().nullable(),
  devices_url: z.string(),
});
export type DeviceLimitDetails = z.infer<typeof DeviceLimitDetails>;

/** `GET /api/1/premium/sync`: the sync state of this device against the server's backup. */
export const SyncStatus = z.object({
  last_synced_at: z.number(),
  last_sync_action: z.enum(['upload', 'download']).nullable(),
  pending_changes: z.boolean(),
  local_empty: z.boolean(),
  auto_sync: z.boolean(),
  remote: BackupCurrent.nullable(),
  remote_checked_at: z.number(),
  remote_error: z.string().nullable(),
  stale: z.boolean(),
  restore_offer: z.boolean(),
  auto_sync_failing_since: z.number(),
  auto_sync_error: z.string().nullable(),
  auto_sync_failing_long: z.boolean(),
  backups_dir: z.string(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;
