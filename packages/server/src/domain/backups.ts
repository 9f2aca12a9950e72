import { createHash, randomBytes, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupErrorCode, messages, type BackupCurrent, type LastDataMetadata } from '@rotki-premium/protocol';
import type { BackupRow, BackupUploadRow } from '../store/backups.table.ts';
import { BlobMissingError, UploadGoneError, type BlobStore, type StoredChunk, type StoredChunks } from '../store/blob-store.ts';
import { lockAccount } from '../store/database.ts';
import { NO_AUTHOR, describeAuthor, retireBackup, versionsKept, type BackupAuthor } from './backup-history.ts';
import type { DomainContext } from './context.ts';

/** `max_backup_size_mb` counts MiB (PROTOCOL.md decision 3). */
export const MIB = 1_048_576;

export interface BackupPolicy {
  /** An open upload that receives no chunk for this long is removed (decision 4: 24 hours). */
  uploadTtlMs: number;
  /**
   * A replaced backup is removed this long after the switch, so that a
   * download that started just before the switch can finish.
   */
  supersededGraceMs: number;
  /**
   * Test hook (ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS): wait this
   * long after sealing a complete upload and before switching the backup to
   * it, so crash tests can kill the server in that window. 0 in production.
   */
  pauseBeforeSwitchMs: number;
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = Object.freeze({
  uploadTtlMs: 24 * 60 * 60 * 1000,
  supersededGraceMs: 60 * 60 * 1000,
  pauseBeforeSwitchMs: 0,
});

export interface BackupLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
}

/** SHA-256 of an upload's first `bytes` bytes, as this process received them. */
interface HashState {
  hash: Hash;
  bytes: number;
  touchedAt: number;
}

/** What backup functions depend on. One per process: it holds the running hashes of the uploads it receives. */
export interface Backups {
  ctx: DomainContext;
  blobs: BlobStore;
  policy: BackupPolicy;
  log: BackupLog;
  /**
   * upload id → hash of the bytes received so far, so that completion need
   * not read the upload back. Only a shortcut: when chunks went to another
   * instance or this process restarted, completion hashes the stored bytes.
   */
  hashes: Map<string, HashState>;
}

const silentLog: BackupLog = { info: () => {}, warn: () => {} };

export function createBackups(
  ctx: DomainContext,
  blobs: BlobStore,
  options: { policy?: Partial<BackupPolicy>; log?: BackupLog } = {},
): Backups {
  return {
    ctx,
    blobs,
    policy: { ...DEFAULT_BACKUP_POLICY, ...options.policy },
    log: options.log ?? silentLog,
    hashes: new Map(),
  };
}

/** A refused chunk: the status and `{"error", "code"}` body the premium API answers with. */
export class BackupError extends Error {
  readonly status: 400 | 404 | 409 | 413;
  readonly code: BackupErrorCode;
  /** Extra keys for the response body. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(status: BackupError['status'], code: BackupErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BackupError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** Who uploads, and the limit of their plan. */
export interface Uploader {
  accountId: number;
  tierName: string;
  /** MiB; 0 means the plan has no backups. */
  maxBackupSizeMb: number;
  /** The tier's `backup_versions`: how many versions are kept, the current one included. */
  backupVersions: number;
}

/** One `backup/range` request, validated for syntax by the HTTP layer. */
export interface ChunkInput {
  /** Absent on the first chunk. */
  uploadId: string | null;
  fileHash: string;
  lastModifyTs: number;
  compression: string;
  totalSize: number;
  /** First byte of the chunk (Content-Range). */
  start: number;
  /** Last byte of the chunk, inclusive (Content-Range). */
  end: number;
  /** Who sends it (recorded from the first chunk). */
  author?: BackupAuthor;
  /**
   * Compare-and-swap (our client only): the hash of the backup the uploader's
   * data was synced from, '' for none. Undefined: no check (the rotki app, or a forced upload).
   */
  baseHash?: string;
}

/**
 * 'partial': answer 206 with the upload id; 'complete': the backup was switched, answer 200
 * (`stored` when this very request switched it: the size and the time since the first chunk).
 */
export type ChunkOutcome =
  | { status: 'partial'; uploadId: string }
  | { status: 'complete'; uploadId: string; stored?: { size: number; uploadMs: number } };

export function quotaBytes(maxBackupSizeMb: number): number {
  return maxBackupSizeMb * MIB;
}

/** Decision 3: 413 as soon as `total_size` exceeds the plan's limit (a 0 MiB plan has no backups). */
export function assertWithinQuota(uploader: Uploader, totalSize: number): void {
  if (totalSize <= quotaBytes(uploader.maxBackupSizeMb)) return;
  throw new BackupError(
    413,
    BackupErrorCode.QuotaExceeded,
    messages.backupQuotaExceeded(uploader.maxBackupSizeMb, uploader.tierName, totalSize),
    { max_backup_size_mb: uploader.maxBackupSizeMb, tier: uploader.tierName },
  );
}

/**
 * Compare-and-swap: an upload that names its base replaces the current backup
 * only if that is the base (or if it carries the very same bytes).
 */
function baseMatches(baseHash: string | null, fileHash: string, current: BackupRow | undefined): boolean {
  if (baseHash === null) return true;
  const currentHash = current?.sha256 ?? '';
  return currentHash === baseHash || currentHash === fileHash;
}

/** 409 with what the server holds now, so the client can say which device uploaded it and when. */
export function baseMismatch(current: BackupRow | undefined): BackupError {
  return new BackupError(409, BackupErrorCode.BaseMismatch, messages.backupBaseMismatch(), { current: currentOf(current) });
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

/** `chunk_ends` holds `<end>:<part>` per chunk, comma-separated. */
function parseChunks(text: string): StoredChunk[] {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const colon = entry.indexOf(':');
    return { end: Number(entry.slice(0, colon)), part: entry.slice(colon + 1) };
  });
}

function formatChunks(chunks: StoredChunks): string {
  return chunks.map((c) => `${c.end}:${c.part}`).join(',');
}

/** True when [start, endExclusive) is exactly one of the chunks already received. */
function isReceivedChunk(chunks: StoredChunks, start: number, endExclusive: number): boolean {
  const index = chunks.findIndex((c) => c.end === endExclusive);
  if (index < 0) return false;
  return (index === 0 ? 0 : chunks[index - 1]?.end) === start;
}

function newUploadId(): string {
  return randomBytes(18).toString('base64url');
}

/** The chunk's bytes as they pass to the store: counted against Content-Range and hashed. */
class ChunkMeter extends Transform {
  received = 0;
  readonly #expected: number;
  readonly #hash: Hash | null;

  constructor(expected: number, hash: Hash | null) {
    super();
    this.#expected = expected;
    this.#hash = hash;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.#expected) {
      callback(new BackupError(400, BackupErrorCode.InvalidChunk, messages.backupChunkTooLarge(this.#expected)));
      return;
    }
    this.#hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.received < this.#expected) {
      callback(new BackupError(400, BackupErrorCode.InvalidChunk, messages.backupChunkTooShort(this.#expected, this.received)));
      return;
    }
    callback();
  }
}

async function findUpload(b: Backups, accountId: number, uploadId: string): Promise<BackupUploadRow | undefined> {
  return b.ctx.store.db
    .selectFrom('backup_uploads')
    .selectAll()
    .where('id', '=', uploadId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

function isOpen(row: BackupUploadRow, now: number): boolean {
  return row.state === 'open' && Number(row.expires_at) > now;
}

/** Whether `row` was abandoned (a newer upload of the account), failed or swept since it was read. */
async function replacedMeanwhile(b: Backups, row: BackupUploadRow): Promise<boolean> {
  const latest = await findUpload(b, Number(row.account_id), row.id);
  return latest === undefined || !isOpen(latest, b.ctx.clock.now());
}

function uploadReplaced(): BackupError {
  return new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
}

/** Removes the data of discarded uploads, then their rows. Failures are left to the next sweep. */
async function purge(b: Backups, rows: readonly Pick<BackupUploadRow, 'id' | 'temp_ref'>[]): Promise<number> {
  let purged = 0;
  for (const row of rows) {
    b.hashes.delete(row.id);
    try {
      await b.blobs.removeUpload(row.temp_ref);
      await b.ctx.store.db.deleteFrom('backup_uploads').where('id', '=', row.id).where('state', '=', 'discarded').execute();
      purged += 1;
    } catch (error) {
      b.log.warn({ err: error, uploadId: row.id }, 'could not remove backup upload data; the next sweep retries');
    }
  }
  return purged;
}

/** Marks an upload discarded (so no chunk is accepted for it any more) and removes its data now. */
async function discard(b: Backups, row: BackupUploadRow): Promise<void> {
  const now = b.ctx.clock.now();
  await b.ctx.store.db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now })
    .where('id', '=', row.id)
    .execute();
  await purge(b, [row]);
}

/**
 * An upload whose data did not match its `file_hash`: the data goes now, the
 * row stays until the upload would have expired, so that the app's automatic
 * resend of the last chunk gets the same answer (issue 8) instead of
 * "Unknown or expired upload_id".
 */
async function failUpload(b: Backups, row: BackupUploadRow): Promise<void> {
  const now = b.ctx.clock.now();
  await b.ctx.store.db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now + b.policy.uploadTtlMs })
    .where('id', '=', row.id)
    .execute();
  b.hashes.delete(row.id);
  await b.blobs.removeUpload(row.temp_ref).catch((error: unknown) => {
    b.log.warn({ err: error, uploadId: row.id }, 'could not remove backup upload data; the next sweep retries');
  });
}

/** The last chunk of an upload refused for its hash, sent again while that outcome is kept. */
function isResentFailedChunk(row: BackupUploadRow, input: ChunkInput, now: number): boolean {
  return (
    row.state === 'discarded' &&
    Number(row.expires_at) > now &&
    Number(row.bytes_received) === Number(row.expected_size) &&
    input.end + 1 === Number(row.expected_size) &&
    input.fileHash === row.file_hash
  );
}

/**
 * A first chunk: abandons the account's open upload (decision 4) and opens
 * a new one, in one transaction under the account lock.
 */
async function openUpload(b: Backups, accountId: number, input: ChunkInput): Promise<BackupUploadRow> {
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

async function hashStored(b: Backups, row: BackupUploadRow, chunks: StoredChunks): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of await b.blobs.readUpload(row.temp_ref, chunks)) hash.update(block as Buffer);
  return hash.digest('base64');
}

/**
 * The last chunk is in: verify the hash, seal the data, then switch the
 * account's backup to it in one transaction. Until that commit, downloads and
 * metadata show the previous backup; the previous blob stays for the grace
 * period, then the sweep removes it.
 */
async function complete(b: Backups, row: BackupUploadRow, keep: number): Promise<ChunkOutcome> {
  const { ctx, blobs } = b;
  const chunks = parseChunks(row.chunk_ends);
  const state = b.hashes.get(row.id);
  let digest: string;
  try {
    digest = state !== undefined && state.bytes === Number(row.expected_size) ? state.hash.copy().digest('base64') : await hashStored(b, row, chunks);
  } catch (error) {
    if (await replacedMeanwhile(b, row)) throw uploadReplaced();
    throw error;
  }
  if (digest !== row.file_hash) {
    await failUpload(b, row);
    throw new BackupError(400, BackupErrorCode.HashMismatch, messages.backupHashMismatch());
  }

  let blobRef: string;
  try {
    blobRef = await blobs.seal(row.temp_ref, chunks);
  } catch (error) {
    // Another upload of the account started meanwhile and abandoned this one, removing its data.
    if (await replacedMeanwhile(b, row)) throw uploadReplaced();
    // Stored chunks are missing or of the wrong size: this upload cannot complete, the client starts again.
    if (error instanceof BlobMissingError) await discard(b, row);
    throw error;
  }
  if (b.policy.pauseBeforeSwitchMs > 0) {
    b.log.warn({ uploadId: row.id, pauseMs: b.policy.pauseBeforeSwitchMs }, 'test hook: pausing before the backup switch');
    await sleep(b.policy.pauseBeforeSwitchMs);
  }

  const now = ctx.clock.now();
  const accountId = Number(row.account_id);
  const outcome = await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    const previous = await trx.selectFrom('backups').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!baseMatches(row.base_hash, row.file_hash, previous)) {
      // The backup changed since this upload started (a restore or a deletion on the website): refused, nothing replaced.
      const refused = await trx
        .updateTable('backup_uploads')
        .set({ state: 'discarded', updated_at: now, expires_at: now })
        .where('id', '=', row.id)
        .where('state', '=', 'open')
        .executeTakeFirst();
      if (Number(refused.numUpdatedRows) === 1) return { conflict: previous };
    }
    const taken = await trx
      .deleteFrom('backup_uploads')
      .where('id', '=', row.id)
      .where('state', '=', 'open')
      .returning('id')
      .executeTakeFirst();
    if (taken === undefined) {
      // A concurrent copy of this last chunk switched already, or the upload was abandoned or swept.
      return previous?.upload_id === row.id ? 'already_switched' : 'gone';
    }
    const backup: BackupRow = {
      account_id: accountId,
      upload_id: row.id,
      blob_ref: blobRef,
      sha256: row.file_hash,
      size: Number(row.expected_size),
      compression: row.compression,
      last_modify_ts: Number(row.last_modify_ts),
      upload_ts: now,
      device_name: row.device_name,
      device_platform: row.device_platform,
      user_agent: row.user_agent,
    };
    if (previous === undefined) {
      await trx.insertInto('backups').values(backup).execute();
    } else {
      await trx.updateTable('backups').set(backup).where('account_id', '=', accountId).execute();
      // The replaced backup joins the history; versions beyond the tier's count wait for removal.
      await retireBackup(trx, blobs, previous, keep, now, b.policy.supersededGraceMs);
    }
    return 'switched';
  });
  b.hashes.delete(row.id);
  if (typeof outcome === 'object') {
    await purge(b, [row]);
    throw baseMismatch(outcome.conflict);
  }
  if (outcome === 'gone') {
    await purge(b, [{ id: row.id, temp_ref: row.temp_ref }]).catch(() => 0);
    throw new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
  }
  if (outcome !== 'switched') return { status: 'complete', uploadId: row.id };
  b.log.info({ accountId, uploadId: row.id, size: Number(row.expected_size) }, 'backup stored');
  return { status: 'complete', uploadId: row.id, stored: { size: Number(row.expected_size), uploadMs: now - Number(row.created_at) } };
}

/** Same file, same upload: every chunk must repeat the first chunk's fields. */
function checkSameUpload(row: BackupUploadRow, input: ChunkInput): void {
  const changed =
    row.file_hash !== input.fileHash
      ? 'file_hash'
      : Number(row.expected_size) !== input.totalSize
        ? 'total_size'
        : Number(row.last_modify_ts) !== input.lastModifyTs
          ? 'last_modify_ts'
          : row.compression !== input.compression
            ? 'compression'
            : null;
  if (changed !== null) throw new BackupError(400, BackupErrorCode.InvalidChunk, messages.backupUploadChanged(changed));
}

/**
 * Receives one chunk of `backup/range` (PROTOCOL.md §5.2, decisions 3–4).
 * `data` yields the chunk's bytes; it is consumed only when the chunk is
 * stored, so the caller must drain it afterwards in every case.
 *
 * Throws `BackupError` for anything the client must change; other errors are
 * the server's.
 */
export async function receiveChunk(b: Backups, uploader: Uploader, input: ChunkInput, data: Readable): Promise<ChunkOutcome> {
  const { ctx } = b;
  // Checked on every chunk: the plan may have changed since the first one.
  assertWithinQuota(uploader, input.totalSize);
  const endExclusive = input.end + 1;
  const length = endExclusive - input.start;

  let row: BackupUploadRow;
  const first = input.uploadId === null;
  if (input.uploadId === null) {
    if (input.start !== 0) throw new BackupError(400, BackupErrorCode.OutOfOrder, messages.backupFirstChunkOffset());
    row = await openUpload(b, uploader.accountId, input);
  } else {
    const found = await findUpload(b, uploader.accountId, input.uploadId);
    if (found === undefined || !isOpen(found, ctx.clock.now())) {
      const current = await ctx.store.db
        .selectFrom('backups')
        .selectAll()
        .where('account_id', '=', uploader.accountId)
        .executeTakeFirst();
      // The last chunk sent again after it completed the upload: answered as the first time.
      if (
        current?.upload_id === input.uploadId &&
        endExclusive === Number(current.size) &&
        input.totalSize === Number(current.size) &&
        input.fileHash === current.sha256
      ) {
        return { status: 'complete', uploadId: input.uploadId };
      }
      if (found !== undefined && isResentFailedChunk(found, input, ctx.clock.now())) {
        throw new BackupError(400, BackupErrorCode.HashMismatch, messages.backupHashMismatch());
      }
      if (found !== undefined) throw new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
      throw new BackupError(400, BackupErrorCode.UnknownUpload, messages.backupUnknownUpload());
    }
    row = found;
    checkSameUpload(row, input);
    if (isReceivedChunk(parseChunks(row.chunk_ends), input.start, endExclusive)) {
      // The same chunk again (a retry whose answer was lost): a no-op, answered as the first time.
      // A re-sent last chunk of an upload that did not switch yet (a crash in between) completes it now.
      if (Number(row.bytes_received) === Number(row.expected_size) && endExclusive === Number(row.expected_size)) {
        return complete(b, row, versionsKept(uploader.backupVersions));
      }
      return { status: 'partial', uploadId: row.id };
    }
    if (input.start !== Number(row.bytes_received)) {
      throw new BackupError(400, BackupErrorCode.OutOfOrder, messages.backupChunkOutOfOrder(Number(row.bytes_received), input.start));
    }
  }

  const running = b.hashes.get(row.id);
  const hash = first ? createHash('sha256') : running !== undefined && running.bytes === input.start ? running.hash.copy() : null;
  const meter = new ChunkMeter(length, hash);
  data.on('error', (error) => meter.destroy(error));
  data.pipe(meter);
  let part: string;
  try {
    part = await b.blobs.writeChunk(row.temp_ref, input.start, length, meter);
  } catch (error) {
    data.unpipe(meter);
    // A first chunk that did not arrive leaves nothing: the client never learnt its upload id.
    if (first) await discard(b, row);
    if (error instanceof BackupError) throw error;
    if (error instanceof UploadGoneError || (!first && (await replacedMeanwhile(b, row)))) throw uploadReplaced();
    if (meter.received < length && (data.errored !== null || data.destroyed)) {
      throw new BackupError(400, BackupErrorCode.InvalidChunk, messages.backupChunkInterrupted());
    }
    throw error;
  }

  const now = ctx.clock.now();
  const chunks = formatChunks([...parseChunks(row.chunk_ends), { end: endExclusive, part }]);
  const recorded = await ctx.store.db
    .updateTable('backup_uploads')
    .set({
      bytes_received: endExclusive,
      chunk_ends: chunks,
      updated_at: now,
      expires_at: now + b.policy.uploadTtlMs,
    })
    .where('id', '=', row.id)
    .where('state', '=', 'open')
    .where('bytes_received', '=', input.start)
    .executeTakeFirst();
  if (Number(recorded.numUpdatedRows) !== 1) {
    // Another request stored this chunk first, or the upload was abandoned meanwhile.
    const latest = await findUpload(b, uploader.accountId, row.id);
    if (latest === undefined || !isOpen(latest, ctx.clock.now())) {
      // This request may have written into data already removed: remove again.
      if (latest !== undefined) await purge(b, [latest]);
      throw new BackupError(409, BackupErrorCode.UploadReplaced, messages.backupUploadReplaced());
    }
    if (!isReceivedChunk(parseChunks(latest.chunk_ends), input.start, endExclusive)) {
      throw new BackupError(400, BackupErrorCode.OutOfOrder, messages.backupChunkOutOfOrder(Number(latest.bytes_received), input.start));
    }
    return endExclusive === input.totalSize ? complete(b, latest, versionsKept(uploader.backupVersions)) : { status: 'partial', uploadId: row.id };
  }

  if (hash === null) b.hashes.delete(row.id);
  else b.hashes.set(row.id, { hash, bytes: endExclusive, touchedAt: now });

  row = { ...row, bytes_received: endExclusive, chunk_ends: chunks, updated_at: now, expires_at: now + b.policy.uploadTtlMs };
  if (endExclusive === input.totalSize) return complete(b, row, versionsKept(uploader.backupVersions));
  return { status: 'partial', uploadId: row.id };
}

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

export interface SweepOptions {
  /** Also remove open uploads idle for at least this long (default: the upload TTL). 0 removes every open upload. */
  idleMs?: number;
}

/**
 * Removes expired and idle open uploads, abandoned and failed ones, and
 * replaced backups past their grace period: the data first, then the row.
 * Safe to run from several instances at once. Returns how many were removed.
 */
export async function sweepBackupUploads(b: Backups, options: SweepOptions = {}): Promise<number> {
  const { db } = b.ctx.store;
  const now = b.ctx.clock.now();
  const idleMs = options.idleMs ?? b.policy.uploadTtlMs;
  // Discard first, so that a chunk arriving meanwhile is refused rather than written into removed data.
  await db
    .updateTable('backup_uploads')
    .set({ state: 'discarded', updated_at: now, expires_at: now })
    .where('state', '=', 'open')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('updated_at', '<=', now - idleMs)]))
    .execute();
  const due = await db
    .selectFrom('backup_uploads')
    .select(['id', 'temp_ref'])
    .where('state', '=', 'discarded')
    .where('expires_at', '<=', now)
    .execute();
  const removed = await purge(b, due);
  for (const [id, state] of b.hashes) {
    if (state.touchedAt <= now - b.policy.uploadTtlMs) b.hashes.delete(id);
  }
  if (removed > 0) b.log.info({ removed }, 'backup sweep removed upload data');
  return removed;
}

/**
 * Removes an account's unfinished uploads: the rows first (so nothing points
 * at bytes being removed), then the bytes. A crash between the two leaves
 * bytes nothing names, never a row naming missing bytes.
 */
export async function deleteAccountUploads(b: Backups, accountId: number): Promise<number> {
  const { db } = b.ctx.store;
  const uploads = await db.deleteFrom('backup_uploads').where('account_id', '=', accountId).returning('temp_ref').execute();
  for (const upload of uploads) await b.blobs.removeUpload(upload.temp_ref);
  return uploads.length;
}
