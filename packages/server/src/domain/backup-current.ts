import type { Readable } from 'node:stream';
import type { BackupCurrent, LastDataMetadata } from '@rotki-premium/protocol';
import type { BackupRow } from '../store/backups.table.ts';
import { describeAuthor } from './backup-history.ts';
import type { Backups } from './backups.ts';

/** The account's current backup as the server shows it: metadata, the download, and who uploaded it. */

/** The stored backup of an account, or null. */
export async function findBackup(b: Backups, accountId: number): Promise<BackupRow | null> {
  const row = await b.ctx.store.db.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return row ?? null;
}

/** `last_data_metadata` (PROTOCOL.md §5.4, decision 5). */
export async function backupMetadata(b: Backups, accountId: number): Promise<LastDataMetadata> {
  const row = await findBackup(b, accountId);
  if (row === null) return { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 };
  return {
    upload_ts: Math.floor(Number(row.upload_ts) / 1000),
    last_modify_ts: Number(row.last_modify_ts),
    data_hash: row.sha256,
    data_size: Number(row.size),
  };
}

export interface OpenedBackup {
  size: number;
  sha256: string;
  stream: Readable;
}

/** The account's backup as a stream, or null when there is none. */
export async function openBackup(b: Backups, accountId: number): Promise<OpenedBackup | null> {
  const row = await findBackup(b, accountId);
  if (row === null) return null;
  const size = Number(row.size);
  return { size, sha256: row.sha256, stream: await b.blobs.openBlob(row.blob_ref, size) };
}

/** The current backup as our client reads it (`last_data_metadata` plus who uploaded it). */
export function currentOf(row: BackupRow | undefined | null): BackupCurrent {
  if (row === undefined || row === null) {
    return { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0, device_name: null, device_platform: null, uploaded_by: null };
  }
  return {
    upload_ts: Math.floor(Number(row.upload_ts) / 1000),
    last_modify_ts: Number(row.last_modify_ts),
    data_hash: row.sha256,
    data_size: Number(row.size),
    device_name: row.device_name,
    device_platform: row.device_platform,
    uploaded_by: describeAuthor({ deviceName: row.device_name, devicePlatform: row.device_platform, userAgent: row.user_agent }),
  };
}
