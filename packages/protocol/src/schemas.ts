import { z } from 'zod';
import { displayName, textLine } from './text.ts';

/**
 * Schemas of every premium API request and response (PROTOCOL.md §2, §5–§7).
 * A schema and its type share a name.
 */

export const ErrorResponse = z.object({ error: z.string() }).loose();
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** 64 lowercase hex characters in practice; any non-empty token is accepted. */
export const DeviceIdentifier = textLine(z.string().trim().min(1).max(200));
export const DeviceName = displayName(z.string().trim().min(1).max(100));
export const Platform = textLine(z.string().max(100));
export const Nonce = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,16}$/)]);

export const DeviceCheckRequest = z.object({ device_identifier: DeviceIdentifier, nonce: Nonce });
export type DeviceCheckRequest = z.infer<typeof DeviceCheckRequest>;

export const RegisterDeviceRequest = z.object({
  device_identifier: DeviceIdentifier,
  device_name: DeviceName,
  platform: Platform,
  nonce: Nonce,
});
export type RegisterDeviceRequest = z.infer<typeof RegisterDeviceRequest>;

export const RenameDeviceRequest = z.object({
  device_identifier: DeviceIdentifier,
  device_name: DeviceName,
  nonce: Nonce,
});
export type RenameDeviceRequest = z.infer<typeof RenameDeviceRequest>;

export const DeleteDeviceRequest = z.object({ device_identifier: DeviceIdentifier, nonce: Nonce });
export type DeleteDeviceRequest = z.infer<typeof DeleteDeviceRequest>;

export const Device = z.object({
  device_identifier: z.string(),
  device_name: z.string(),
  platform: z.string(),
  user: z.string(),
  /** Unix seconds. */
  last_seen_at: z.number(),
  /** Unix seconds. */
  created_at: z.number(),
});
export type Device = z.infer<typeof Device>;

export const DeviceList = z.object({ devices: z.array(Device), limit: z.number().int() });
export type DeviceList = z.infer<typeof DeviceList>;

/** A stale device the server replaced with a new one at the device limit (operator option, issue 9). */
export const DeviceReplacement = z.object({
  replaced_device_name: z.string(),
  replaced_platform: z.string(),
  /** Unix seconds: when the replaced device was last seen. */
  replaced_last_seen_at: z.number(),
  device_name: z.string(),
  platform: z.string(),
  /** Unix seconds. */
  replaced_at: z.number(),
});
export type DeviceReplacement = z.infer<typeof DeviceReplacement>;

/**
 * `GET /nest/1/devices/status` (our app only; the rotki app's device list
 * stays as it is): which devices are stale (unseen for `stale_after_days`
 * days), whether the server replaces a stale device at the limit, and the
 * replacements it made, newest first.
 */
export const DeviceStatus = z.object({
  stale_after_days: z.number().int(),
  replaces_stale: z.boolean(),
  devices: z.array(z.object({ device_identifier: z.string(), last_seen_at: z.number(), stale: z.boolean() })),
  replacements: z.array(DeviceReplacement),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/** The 422 body of a refused registration (PROTOCOL.md decision 6). */
export const DeviceLimitError = z.object({
  error: z.string(),
  devices: z.array(Device),
  limit: z.number().int(),
});
export type DeviceLimitError = z.infer<typeof DeviceLimitError>;

export const LastDataMetadata = z.object({
  upload_ts: z.number(),
  last_modify_ts: z.number(),
  data_hash: z.string(),
  data_size: z.number(),
});
export type LastDataMetadata = z.infer<typeof LastDataMetadata>;

/** The current backup with who uploaded it: `current` of a 409 `backup_base_mismatch` (our client only). */
export const BackupCurrent = LastDataMetadata.extend({
  device_name: z.string().nullable(),
  device_platform: z.string().nullable(),
  /** "Work laptop (linux)", or "a rotki app (rotki/1.44.0)"; null when there is no backup. */
  uploaded_by: z.string().nullable(),
});
export type BackupCurrent = z.infer<typeof BackupCurrent>;

/** One stored version: the current backup (`current`) or one it replaced. */
export const BackupHistoryVersion = BackupCurrent.extend({ current: z.boolean() });
export type BackupHistoryVersion = z.infer<typeof BackupHistoryVersion>;

/**
 * `GET /nest/1/backup/history` (our app only): the current backup first, then
 * the versions it replaced, newest first; `versions_kept` is the plan's count
 * (the current one included).
 */
export const BackupHistory = z.object({ versions: z.array(BackupHistoryVersion), versions_kept: z.number().int() });
export type BackupHistory = z.infer<typeof BackupHistory>;

export const CAPABILITY_FLAGS = [
  'eth_staking_view',
  'graphs_view',
  'event_analysis_view',
  'asset_movement_matching',
  'gnosispay',
  'monerium',
  'mcp',
] as const;
export type CapabilityFlag = (typeof CAPABILITY_FLAGS)[number];

export const Capabilities = z.object({
  eth_staking_view: z.boolean(),
  graphs_view: z.boolean(),
  event_analysis_view: z.boolean(),
  asset_movement_matching: z.boolean(),
  gnosispay: z.boolean(),
  monerium: z.boolean(),
  mcp: z.boolean(),
});
export type Capabilities = z.infer<typeof Capabilities>;

/** capability name → name of the cheapest tier that has it. */
export const Unlocks = z.record(z.string(), z.string());
export type Unlocks = z.infer<typeof Unlocks>;

export const UnlocksResponse = z.object({ unlocks: Unlocks });
export type UnlocksResponse = z.infer<typeof UnlocksResponse>;

/** `GET /nest/1/limits` (PROTOCOL.md §7.1). */
export const UserLimits = Capabilities.extend({
  current_tier: z.string(),
  limit_of_devices: z.number().int(),
  pnl_events_limit: z.number().int(),
  max_backup_size_mb: z.number().int(),
  history_events_limit: z.number().int(),
  reports_lookup_limit: z.number().int(),
  eth_staked_limit: z.number().int(),
  unlocks: Unlocks,
});
export type UserLimits = z.infer<typeof UserLimits>;

export const UploadStartedResponse = z.object({ upload_id: z.union([z.string(), z.number()]) }).loose();
export type UploadStartedResponse = z.infer<typeof UploadStartedResponse>;

export const RegisteredResponse = z.object({ registered: z.literal(true) });
export const SuccessResponse = z.object({ success: z.literal(true) });
