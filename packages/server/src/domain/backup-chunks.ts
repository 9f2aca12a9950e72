import type { Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BackupErrorCode, messages } from '@rotki-premium/protocol';
import type { BackupUploadRow } from '../store/backups.table.ts';
import { UploadGoneError } from '../store/blob-store.ts';
import { assertWithinQuota, checkSameUpload, isResentFailedChunk, uploadReplaced } from './backup-checks.ts';
import { abortChunkHash, beginChunkHash, commitChunkHash } from './backup-hashes.ts';
import { versionsKept } from './backup-history.ts';
import { completeUpload } from './backup-switch.ts';
import { discard, purge } from './backup-upload-removal.ts';
import { findUpload, formatChunks, isOpen, isReceivedChunk, openUpload, parseChunks, replacedMeanwhile } from './backup-uploads.ts';
import { BackupError, type Backups, type ChunkInput, type ChunkOutcome, type Uploader } from './backups.ts';

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
        return completeUpload(b, row, versionsKept(uploader.backupVersions));
      }
      return { status: 'partial', uploadId: row.id };
    }
    if (input.start !== Number(row.bytes_received)) {
      throw new BackupError(400, BackupErrorCode.OutOfOrder, messages.backupChunkOutOfOrder(Number(row.bytes_received), input.start));
    }
  }

  const hash = beginChunkHash(b, row.id, row.temp_ref, input.start, input.totalSize);
  const meter = new ChunkMeter(length, hash.meter);
  data.on('error', (error) => meter.destroy(error));
  data.pipe(meter);
  let part: string;
  try {
    part = await b.blobs.writeChunk(row.temp_ref, input.start, length, meter, hash.written);
  } catch (error) {
    abortChunkHash(hash);
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
    abortChunkHash(hash);
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
    return endExclusive === input.totalSize ? completeUpload(b, latest, versionsKept(uploader.backupVersions)) : { status: 'partial', uploadId: row.id };
  }

  commitChunkHash(b, row.id, hash, endExclusive, now);

  row = { ...row, bytes_received: endExclusive, chunk_ends: chunks, updated_at: now, expires_at: now + b.policy.uploadTtlMs };
  if (endExclusive === input.totalSize) return completeUpload(b, row, versionsKept(uploader.backupVersions));
  return { status: 'partial', uploadId: row.id };
}
