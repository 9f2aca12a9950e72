import type { Transaction } from 'kysely';
import type { BackupRow } from '../store/backups.table.ts';
import type { BlobStore } from '../store/blob-store.ts';
import { lockAccount } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { notFound } from './errors.ts';

/**
 * Backup history (issue 9): the current backup lives in `backups` (what the
 * premium API serves), the versions it replaced in `backup_versions`, at most
 * the tier's `backup_versions` in all. Versions pushed out of the history, and
 * deleted ones, become `backup_uploads` rows in state 'discarded' whose data
 * the sweep removes after the grace period (downloads under way finish).
 */

/** Who uploaded a version. */
export interface BackupAuthor {
  /** The device as our client names it; null when the request named none (the rotki app). */
  deviceName: string | null;
  devicePlatform: string | null;
  /** The request's User-Agent, e.g. `rotki/1.44.0`. */
  userAgent: string | null;
}

export const NO_AUTHOR: BackupAuthor = Object.freeze({ deviceName: null, devicePlatform: null, userAgent: null });

/** A stored User-Agent is cut to this many characters. */
export const USER_AGENT_MAX = 200;

export function userAgentOf(header: string | string[] | undefined): string | null {
  const text = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  return text === '' ? null : text.slice(0, USER_AGENT_MAX);
}

/** How many versions a tier keeps in all, the current one included: at least the current one. */
export function versionsKept(tierVersions: number): number {
  return Math.max(1, Math.floor(tierVersions));
}

/** One version as shown to people (website, CLI, app). */
export interface BackupVersion {
  uploadId: string;
  current: boolean;
  size: number;
  sha256: string;
  /** Unix seconds, as the uploading client sent them. */
  lastModifyTs: number;
  /** Milliseconds since the epoch. */
  uploadedAt: number;
  deviceName: string | null;
  devicePlatform: string | null;
  userAgent: string | null;
  /** "Work laptop (linux)", or "a rotki app (rotki/1.44.0)" when no device was named. */
  uploadedBy: string;
}

/** Words for who uploaded: the device when named, otherwise "a rotki app" and its User-Agent. */
export function describeAuthor(author: BackupAuthor): string {
  if (author.deviceName !== null) {
    return author.devicePlatform === null || author.devicePlatform === '' ? author.deviceName : `${author.deviceName} (${author.devicePlatform})`;
  }
  return author.userAgent === null ? 'a rotki app' : `a rotki app (${author.userAgent})`;
}

function authorOf(row: Pick<BackupRow, 'device_name' | 'device_platform' | 'user_agent'>): BackupAuthor {
  return { deviceName: row.device_name, devicePlatform: row.device_platform, userAgent: row.user_agent };
}

function versionOf(row: BackupRow, current: boolean): BackupVersion {
  const author = authorOf(row);
  return {
    uploadId: row.upload_id,
    current,
    size: Number(row.size),
    sha256: row.sha256,
    lastModifyTs: Number(row.last_modify_ts),
    uploadedAt: Number(row.upload_ts),
    ...author,
    uploadedBy: describeAuthor(author),
  };
}

/** Marks a version's data for removal after `graceMs` (the sweep removes it). */
async function discardVersionData(trx: Transaction<Database>, blobs: BlobStore, row: BackupRow, now: number, graceMs: number): Promise<void> {
  await trx
    .insertInto('backup_uploads')
    .values({
      id: row.upload_id,
      account_id: Number(row.account_id),
      state: 'discarded',
      temp_ref: blobs.uploadRef(row.upload_id),
      expected_size: Number(row.size),
      file_hash: row.sha256,
      last_modify_ts: Number(row.last_modify_ts),
      compression: row.compression,
      bytes_received: Number(row.size),
      chunk_ends: '',
      created_at: now,
      updated_at: now,
      expires_at: now + graceMs,
      device_name: null,
      device_platform: null,
      user_agent: null,
      base_hash: null,
    })
    .onConflict((c) => c.column('id').doNothing())
    .execute();
}

/**
 * Inside the switch transaction (account locked): `previous`, just replaced
 * as the current backup, joins the history; the oldest versions beyond the
 * tier's count are marked for removal.
 */
export async function retireBackup(
  trx: Transaction<Database>,
  blobs: BlobStore,
  previous: BackupRow,
  keep: number,
  now: number,
  graceMs: number,
): Promise<void> {
  const accountId = Number(previous.account_id);
  if (keep > 1) {
    await trx
      .insertInto('backup_versions')
      .values({ ...previous, account_id: accountId, replaced_at: now })
      .onConflict((c) => c.column('upload_id').doNothing())
      .execute();
  } else {
    await discardVersionData(trx, blobs, previous, now, graceMs);
  }
  const versions = await trx
    .selectFrom('backup_versions')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('replaced_at', 'desc')
    .orderBy('upload_ts', 'desc')
    .execute();
  for (const old of versions.slice(Math.max(0, keep - 1))) {
    await trx.deleteFrom('backup_versions').where('upload_id', '=', old.upload_id).execute();
    await discardVersionData(trx, blobs, old, now, graceMs);
  }
}

/** The current backup first, then the earlier versions, newest first. */
export async function listBackupVersions(ctx: DomainContext, accountId: number): Promise<BackupVersion[]> {
  const [current, older] = await Promise.all([
    ctx.store.db.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst(),
    ctx.store.db
      .selectFrom('backup_versions')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('replaced_at', 'desc')
      .orderBy('upload_ts', 'desc')
      .execute(),
  ]);
  return [...(current === undefined ? [] : [versionOf(current, true)]), ...older.map((row) => versionOf(row, false))];
}

/** A version's bytes, to download: the current one or an earlier one. */
export async function findBackupVersion(ctx: DomainContext, accountId: number, uploadId: string): Promise<BackupRow | null> {
  const current = await ctx.store.db
    .selectFrom('backups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
  if (current !== undefined) return current;
  const older = await ctx.store.db
    .selectFrom('backup_versions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
  if (older === undefined) return null;
  const { replaced_at: _replacedAt, ...row } = older;
  return row;
}

export interface HistoryPolicy {
  blobs: BlobStore;
  /** How long removed data stays for downloads already under way. */
  graceMs: number;
}

/**
 * Makes an earlier version the current backup. Its upload time and
 * `last_modify_ts` become now, so that every app (ours and rotki's) sees newer
 * data on the server at its next check and offers to download it. The
 * replaced current backup joins the history. Audited.
 */
export async function restoreBackupVersion(ctx: DomainContext, accountId: number, uploadId: string): Promise<BackupVersion> {
  const now = ctx.clock.now();
  const restored = await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    const version = await trx
      .selectFrom('backup_versions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('upload_id', '=', uploadId)
      .executeTakeFirst();
    if (version === undefined) throw notFound('No earlier backup version with this id: it may have been removed by a newer upload.');
    const current = await trx.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    const { replaced_at: _replacedAt, ...fields } = version;
    const row: BackupRow = { ...fields, account_id: accountId, upload_ts: now, last_modify_ts: Math.floor(now / 1000) };
    await trx.deleteFrom('backup_versions').where('upload_id', '=', uploadId).execute();
    if (current === undefined) {
      await trx.insertInto('backups').values(row).execute();
    } else {
      await trx.updateTable('backups').set(row).where('account_id', '=', accountId).execute();
      // The count does not grow: the restored version left the history as the replaced one joins it.
      await trx
        .insertInto('backup_versions')
        .values({ ...current, account_id: accountId, replaced_at: now })
        .execute();
    }
    await recordAudit(trx, ctx.clock, {
      accountId,
      action: 'backup.restored',
      detail: { upload_id: uploadId, size: Number(row.size), uploaded_at: Number(version.upload_ts), uploaded_by: describeAuthor(authorOf(row)) },
    });
    return row;
  });
  return versionOf(restored, true);
}

/** Removes the current backup and every earlier version (their data after the grace period). Audited. Returns how many. */
export async function deleteAllBackups(ctx: DomainContext, policy: HistoryPolicy, accountId: number): Promise<number> {
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    const current = await trx.deleteFrom('backups').where('account_id', '=', accountId).returningAll().execute();
    const older = await trx.deleteFrom('backup_versions').where('account_id', '=', accountId).returningAll().execute();
    for (const row of [...current, ...older]) await discardVersionData(trx, policy.blobs, row, now, policy.graceMs);
    const count = current.length + older.length;
    await recordAudit(trx, ctx.clock, { accountId, action: 'backup.deleted', detail: { versions: count } });
    return count;
  });
}
