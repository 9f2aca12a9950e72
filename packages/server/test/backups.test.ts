import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BackupErrorCode } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveChunk } from '../src/domain/backup-chunks.ts';
import { backupMetadata, openBackup } from '../src/domain/backup-current.ts';
import { sweepBackupUploads } from '../src/domain/backup-upload-removal.ts';
import { BackupError, createBackups, type Backups, type ChunkInput, type Uploader } from '../src/domain/backups.ts';
import { listBackupVersions } from '../src/domain/backup-history.ts';
import { FileBlobStore } from '../src/store/blob-store-file.ts';
import { createTestContext, START_MS, type TestContext } from './support/test-context.ts';

const HOUR = 60 * 60 * 1000;

function hashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** The backup domain over SQLite and the file store, with a clock the test moves. */
describe('backups domain (file store, manual clock)', () => {
  let t: TestContext;
  let root: string;
  let b: Backups;

  beforeAll(async () => {
    t = await createTestContext();
    root = mkdtempSync(join(tmpdir(), 'rotki-premium-blobs-'));
    b = createBackups(t.ctx, await FileBlobStore.open(root));
  });
  afterAll(async () => {
    await t.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  let accounts = 0;
  /** An account row (no password hashing: it is not what these tests are about). */
  async function uploader(maxBackupSizeMb = 150, backupVersions = 1): Promise<Uploader> {
    accounts += 1;
    const row = await t.ctx.store.db
      .insertInto('accounts')
      .values({ username: `backup${accounts}`, email: `backup${accounts}@example.com`, password_hash: '-', created_at: START_MS })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { accountId: Number(row.id), tierName: 'Basic', maxBackupSizeMb, backupVersions };
  }

  function chunk(data: Buffer, start: number, end: number, uploadId: string | null): [ChunkInput, Readable] {
    return [
      { uploadId, fileHash: hashOf(data), lastModifyTs: 1_700_000_000, compression: 'zlib', totalSize: data.length, start, end },
      Readable.from([data.subarray(start, end + 1)]),
    ];
  }

  async function send(who: Uploader, data: Buffer, start: number, end: number, uploadId: string | null) {
    return receiveChunk(b, who, ...chunk(data, start, end, uploadId));
  }

  it('hashes a large upload on the worker behind the file writer: completion does not read the upload back', async () => {
    const who = await uploader();
    const data = randomBytes(20_000_000);
    const blocks = (start: number, end: number) => {
      const bytes = data.subarray(start, end + 1);
      return Readable.from(Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)));
    };
    const input = (start: number, end: number, uploadId: string | null): ChunkInput =>
      ({ uploadId, fileHash: hashOf(data), lastModifyTs: 1_700_000_000, compression: 'zlib', totalSize: data.length, start, end });
    const readUpload = b.blobs.readUpload.bind(b.blobs);
    let readBack = 0;
    b.blobs.readUpload = async (...args) => {
      readBack += 1;
      return readUpload(...args);
    };
    try {
      const first = await receiveChunk(b, who, input(0, 9_999_999, null), blocks(0, 9_999_999));
      expect(first.status).toBe('partial');
      expect(b.hashes.get(first.uploadId)?.hash).toBeNull();
      const last = await receiveChunk(b, who, input(10_000_000, data.length - 1, first.uploadId), blocks(10_000_000, data.length - 1));
      expect(last.status).toBe('complete');
      expect(readBack).toBe(0);
      expect(b.hashes.has(first.uploadId)).toBe(false);
      expect(b.trailing?.alive).toBe(false);
    } finally {
      b.blobs.readUpload = readUpload;
    }
  });

  it('expires an open upload 24 hours after its last chunk, and removes its data', async () => {
    t.clock.set(START_MS);
    const who = await uploader();
    const data = randomBytes(3000);
    const started = await send(who, data, 0, 999, null);
    expect(started.status).toBe('partial');
    const partFile = join(root, 'uploads', started.uploadId);
    expect(existsSync(partFile)).toBe(true);

    // A chunk 23 hours later keeps the upload open for another 24 hours.
    t.clock.advance(23 * HOUR);
    await send(who, data, 1000, 1999, started.uploadId);
    t.clock.advance(24 * HOUR - 1);
    expect(await sweepBackupUploads(b)).toBe(0);
    expect(existsSync(partFile)).toBe(true);

    t.clock.advance(1);
    expect(await sweepBackupUploads(b)).toBe(1);
    expect(existsSync(partFile)).toBe(false);
    const late = await send(who, data, 2000, 2999, started.uploadId).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(BackupError);
    expect(late).toMatchObject({ status: 400, code: BackupErrorCode.UnknownUpload });
    expect(await backupMetadata(b, who.accountId)).toEqual({ upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 });
  });

  it('keeps a replaced backup for the grace period, for downloads under way, then removes it', async () => {
    t.clock.set(START_MS);
    const who = await uploader();
    const first = randomBytes(2000);
    const firstId = (await send(who, first, 0, 1999, null)).uploadId;
    expect(await backupMetadata(b, who.accountId)).toEqual({
      upload_ts: Math.floor(START_MS / 1000),
      last_modify_ts: 1_700_000_000,
      data_hash: hashOf(first),
      data_size: 2000,
    });
    const downloading = await openBackup(b, who.accountId);

    t.clock.advance(1000);
    const second = randomBytes(2500);
    await send(who, second, 0, 2499, null);
    expect((await backupMetadata(b, who.accountId)).data_hash).toBe(hashOf(second));
    // The download that started before the switch still reads the first backup.
    expect((await bytesOf(downloading!.stream)).equals(first)).toBe(true);
    expect(existsSync(join(root, 'blobs', firstId))).toBe(true);

    t.clock.advance(HOUR - 1000);
    expect(await sweepBackupUploads(b)).toBe(0);
    t.clock.advance(1000);
    expect(await sweepBackupUploads(b)).toBe(1);
    expect(existsSync(join(root, 'blobs', firstId))).toBe(false);
    expect((await bytesOf((await openBackup(b, who.accountId))!.stream)).equals(second)).toBe(true);
  });

  it('keeps the tier\'s number of versions: the oldest beyond it is removed after the grace period', async () => {
    t.clock.set(START_MS);
    const who = await uploader(150, 3);
    const datas = [randomBytes(1000), randomBytes(1100), randomBytes(1200), randomBytes(1300)];
    const ids: string[] = [];
    for (const data of datas) {
      t.clock.advance(1000);
      ids.push((await send(who, data, 0, data.length - 1, null)).uploadId);
    }
    const versions = await listBackupVersions(t.ctx, who.accountId);
    expect(versions.map((v) => [v.uploadId, v.current])).toEqual([
      [ids[3], true],
      [ids[2], false],
      [ids[1], false],
    ]);
    expect(versions[0]).toMatchObject({ size: 1300, uploadedBy: 'a rotki app', deviceName: null });
    // The first version left the history; its bytes stay for the grace period, then go.
    expect(existsSync(join(root, 'blobs', ids[0]!))).toBe(true);
    t.clock.advance(HOUR);
    expect(await sweepBackupUploads(b)).toBe(1);
    expect(existsSync(join(root, 'blobs', ids[0]!))).toBe(false);
    for (const id of ids.slice(1)) expect(existsSync(join(root, 'blobs', id))).toBe(true);

    // Compare-and-swap: a stale base is refused before any byte is stored, a matching one is accepted.
    const next = randomBytes(500);
    const [input, bytes] = chunk(next, 0, 499, null);
    const stale = await receiveChunk(b, who, { ...input, baseHash: hashOf(datas[2]!) }, bytes).catch((e: unknown) => e);
    expect(stale).toMatchObject({ status: 409, code: BackupErrorCode.BaseMismatch, detail: { current: { data_hash: hashOf(datas[3]!) } } });
    const [again, bytesAgain] = chunk(next, 0, 499, null);
    expect((await receiveChunk(b, who, { ...again, baseHash: hashOf(datas[3]!) }, bytesAgain)).status).toBe('complete');
  });

  it('hashes the stored bytes when the running hash is not there (another instance, a restart)', async () => {
    t.clock.set(START_MS);
    const who = await uploader();
    const data = randomBytes(4000);
    const started = await send(who, data, 0, 1999, null);
    b.hashes.clear();
    expect((await send(who, data, 2000, 3999, started.uploadId)).status).toBe('complete');
    expect((await bytesOf((await openBackup(b, who.accountId))!.stream)).equals(data)).toBe(true);
  });

  it('catches stored bytes that differ from what was received: 400, previous backup kept', async () => {
    t.clock.set(START_MS);
    const who = await uploader();
    const previous = randomBytes(1000);
    await send(who, previous, 0, 999, null);
    const data = randomBytes(4000);
    const started = await send(who, data, 0, 1999, null);
    // The stored part is damaged and this process has no running hash to trust.
    writeFileSync(join(root, 'uploads', started.uploadId), randomBytes(2000));
    b.hashes.clear();
    const refused = await send(who, data, 2000, 3999, started.uploadId).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, code: BackupErrorCode.HashMismatch });
    expect((await backupMetadata(b, who.accountId)).data_hash).toBe(hashOf(previous));
    expect(existsSync(join(root, 'uploads', started.uploadId))).toBe(false);

    // rotki re-sends the last chunk on its own: it gets the hash mismatch again, not "Unknown or expired upload_id".
    const resent = await send(who, data, 2000, 3999, started.uploadId).catch((e: unknown) => e);
    expect(resent).toMatchObject({ status: 400, code: BackupErrorCode.HashMismatch });
    // Until the upload would have expired; then the sweep removes what is left of it.
    t.clock.advance(b.policy.uploadTtlMs);
    await sweepBackupUploads(b);
    const later = await send(who, data, 2000, 3999, started.uploadId).catch((e: unknown) => e);
    expect(later).toMatchObject({ status: 400, code: BackupErrorCode.UnknownUpload });
  });

  it('counts the quota in MiB', async () => {
    const who = await uploader(1);
    const data = randomBytes(100);
    const atLimit = { uploadId: null, fileHash: hashOf(data), lastModifyTs: 1, compression: 'zlib', totalSize: 1_048_576, start: 0, end: 99 };
    expect((await receiveChunk(b, who, atLimit, Readable.from([data]))).status).toBe('partial');
    const over = await receiveChunk(b, who, { ...atLimit, totalSize: 1_048_577 }, Readable.from([data])).catch((e: unknown) => e);
    expect(over).toMatchObject({ status: 413, code: BackupErrorCode.QuotaExceeded, detail: { max_backup_size_mb: 1 } });
  });
});
