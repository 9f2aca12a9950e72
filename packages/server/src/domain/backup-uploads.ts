import { randomBytes } from 'node:crypto';
import type { BackupUploadRow } from '../store/backups.table.ts';
import type { StoredChunk, StoredChunks } from '../store/blob-store.ts';
import { lockAccount } from '../store/database.ts';
import { baseMatches, baseMismatch } from './backup-checks.ts';
import { NO_AUTHOR } from './backup-history.ts';
import { purge } from './backup-upload-removal.ts';
import type { Backups, ChunkInput } from './backups.ts';

/** Upload sessions: the `backup_uploads` row of an upload, its list of received chunks, and opening one. */

/** `chunk_ends` holds `<end>:<part>` per chunk, comma-separated. */
export function parseChunks(text: string): StoredChunk[] {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const colon = entry.indexOf(':');
    return { end: Number(entry.slice(0, colon)), part: entry.slice(colon + 1) };
  });
}

export function formatChunks(chunks: StoredChunks): string {
  return chunks.map((c) => `${c.end}:${c.part}`).join(',');
}

/** True when [start, endExclusive) is exactly one of the chunks already received. */
export function isReceivedChunk(chunks: StoredChunks, start: number, endExclusive: number): boolean {
  const index = chunks.findIndex((c) => c.end === endExclusive);
  if (index < 0) return false;
  return (index === 0 ? 0 : chunks[index - 1]?.end) === start;
}

function newUploadId(): string {
  return randomBytes(18).toString('base64url');
}

export async function findUpload(b: Backups, accountId: number, uploadId: string): Promise<BackupUploadRow | undefined> {
  return b.ctx.store.db
    .selectFrom('backup_uploads')
    .selectAll()
    .where('id', '=', uploadId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export function isOpen(row: BackupUploadRow, now: number): boolean {
  return row.state === 'open' && Number(row.expires_at) > now;
}

/** Whether `row` was abandoned (a newer upload of the account), failed or swept since it was read. */
export async function replacedMeanwhile(b: Backups, row: BackupUploadRow): Promise<boolean> {
  const latest = await findUpload(b, Number(row.account_id), row.id);
  return latest === undefined || !isOpen(latest, b.ctx.clock.now());
}

/**
 * A first chunk: abandons the account's open upload (decision 4) and opens
 * a new one, in one transaction under the account lock.
 */
export async function openUpload(b: Backups, accountId: number, input: ChunkInput): Promise<BackupUploadRow> {
  const { ctx, policy } = b;
  const now = ctx.clock.now();
  const id = newUploadId();
  const author = input.author ?? NO_AUTHOR;
  const row: BackupUploadRow = {
    id,
    account_id: accountId,
    state: 'open',
    temp_ref: b.blobs.uploadRef(id),
    expected_size: input.totalSize,
    file_hash: input.fileHash,
    last_modify_ts: input.lastModifyTs,
    compression: input.compression,
    bytes_received: 0,
    chunk_ends: '',
    created_at: now,
    updated_at: now,
    expires_at: now + policy.uploadTtlMs,
    device_name: author.deviceName,
    device_platform: author.devicePlatform,
    user_agent: author.userAgent,
    base_hash: input.baseHash ?? null,
  };
  const abandoned = await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    if (row.base_hash !== null) {
      const current = await trx.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      // Refused before any byte is stored; the open upload of another device, if any, is left alone.
      if (!baseMatches(row.base_hash, row.file_hash, current)) throw baseMismatch(current);
    }
    const older = await trx
      .updateTable('backup_uploads')
      .set({ state: 'discarded', updated_at: now, expires_at: now })
      .where('account_id', '=', accountId)
      .where('state', '=', 'open')
      .returning(['id', 'temp_ref'])
      .execute();
    await trx.insertInto('backup_uploads').values(row).execute();
    return older;
  });
  if (abandoned.length > 0) {
    b.log.info({ accountId, abandoned: abandoned.map((r) => r.id) }, 'a new backup upload abandons the older one');
    await purge(b, abandoned);
  }
  return row;
}
