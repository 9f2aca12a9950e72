import type { Insertable, Selectable } from 'kysely';

/**
 * The stored backup of an account: one row per account, replaced in one
 * statement when an upload completes (the pointer switch).
 */
export interface BackupTable {
  account_id: number;
  /** The upload that produced this backup: names its data in the blob store, and makes a re-sent last chunk a no-op. */
  upload_id: string;
  /** Where the blob store keeps the bytes; opaque outside the store. */
  blob_ref: string;
  /** Standard base64 of the SHA-256 of the bytes (the `file_hash` that was verified). */
  sha256: string;
  size: number;
  compression: string;
  /** Unix seconds, as the client sent them. */
  last_modify_ts: number;
  /** Milliseconds since the epoch, server time at completion. */
  upload_ts: number;
  /** Who uploaded: the device as our client names it (null for the rotki app, which names none). */
  device_name: string | null;
  device_platform: string | null;
  /** The uploader's User-Agent (e.g. `rotki/1.44.0`), at most 200 characters. */
  user_agent: string | null;
}
export type BackupRow = Selectable<BackupTable>;
export type InsertableBackupRow = Insertable<BackupTable>;

/**
 * 'open': receiving chunks. 'discarded': replaced, failed, expired or a
 * superseded backup; its data is removed by the sweep once `expires_at` passes.
 */
export type BackupUploadState = 'open' | 'discarded';

/** Chunked uploads in progress, and data waiting for removal. */
export interface BackupUploadTable {
  /** Opaque random id, the `upload_id` of the protocol. */
  id: string;
  account_id: number;
  state: BackupUploadState;
  /** The blob store's temporary object for this upload (and, once sealed, the blob made from it). */
  temp_ref: string;
  expected_size: number;
  file_hash: string;
  /** Unix seconds, as the client sent them. */
  last_modify_ts: number;
  compression: string;
  bytes_received: number;
  /** Each chunk received, in order, comma-separated: `<exclusive end offset>:<part name in the blob store>`. */
  chunk_ends: string;
  created_at: number;
  /** Last chunk received (or the state change). */
  updated_at: number;
  expires_at: number;
  device_name: string | null;
  device_platform: string | null;
  user_agent: string | null;
  /** The backup hash the uploader's data was synced from ('' for none); null: no check (the rotki app, or forced). */
  base_hash: string | null;
}
export type BackupUploadRow = Selectable<BackupUploadTable>;
export type InsertableBackupUploadRow = Insertable<BackupUploadTable>;

/** A version before the current backup, kept for the tier's `backup_versions`. */
export interface BackupVersionTable extends BackupTable {
  /** When a newer upload or a restore replaced it: the history's order, newest first. */
  replaced_at: number;
}
export type BackupVersionRow = Selectable<BackupVersionTable>;
