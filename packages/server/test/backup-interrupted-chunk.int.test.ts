import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BackupErrorCode } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_STORES, startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { receiveChunk } from '../src/domain/backup-chunks.ts';
import { openBackup } from '../src/domain/backup-current.ts';
import { BackupError, createBackups, type Backups, type ChunkInput, type Uploader } from '../src/domain/backups.ts';
import type { BlobStore } from '../src/store/blob-store.ts';
import { FileBlobStore } from '../src/store/blob-store-file.ts';
import { S3BlobStore } from '../src/store/blob-store-s3.ts';
import { createTestContext, START_MS, type TestContext } from './support/test-context.ts';

/**
 * A client that disconnects in the middle of a chunk, on each blob store. When
 * it goes away before the server has checked the signature and found the
 * upload, @fastify/multipart hands over a file stream that is destroyed
 * already (with the premature-close error); one that goes away later destroys
 * it while the chunk streams to the store. Either way the chunk must be
 * refused as interrupted, not left waiting for bytes that never come (the
 * S3 store collects a chunk in memory before it sends it, and was suspected
 * of hanging there), and the upload must go on with the same chunk sent
 * again. `backups.int.test.ts` does the same over HTTP with a real socket.
 */

function hashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** What @fastify/multipart passes on after the request closed early: destroyed, with its error. */
function destroyedBeforeRead(): Readable {
  const stream = new Readable({ read() {} });
  stream.on('error', () => {}); // multipart's own listener; the error stays in `errored`
  stream.destroy(new Error('Premature close'));
  return stream;
}

/** Gives `bytes` of the chunk, then the connection drops. */
function destroyedMidway(bytes: Buffer): Readable {
  const stream = new Readable({ read() {} });
  stream.push(bytes);
  setImmediate(() => stream.destroy(new Error('Premature close')));
  return stream;
}

let s3: S3Server | null = null;
beforeAll(async () => {
  if (BLOB_STORES.includes('s3')) s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

for (const store of BLOB_STORES) {
  describe(`a chunk interrupted by a disconnect (${store} store)`, () => {
    let t: TestContext;
    let root: string;
    let blobs: BlobStore;
    let b: Backups;
    const bucket = `interrupted-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      t = await createTestContext();
      root = mkdtempSync(join(tmpdir(), 'rotki-premium-interrupted-'));
      if (store === 's3') {
        if (s3 === null) throw new Error('S3 server not started');
        await s3.createBucket(bucket);
        const env = s3.envFor(bucket);
        blobs = await S3BlobStore.open({
          endpoint: s3.endpoint,
          bucket,
          region: String(env.ROTKI_PREMIUM_S3_REGION),
          credentials: { accessKeyId: String(env.ROTKI_PREMIUM_S3_ACCESS_KEY_ID), secretAccessKey: String(env.ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY) },
          forcePathStyle: true,
        });
      } else {
        blobs = await FileBlobStore.open(root);
      }
      b = createBackups(t.ctx, blobs);
    });
    afterAll(async () => {
      await blobs?.close();
      await t?.cleanup();
      rmSync(root, { recursive: true, force: true });
    });

    let accounts = 0;
    async function uploader(): Promise<Uploader> {
      accounts += 1;
      const row = await t.ctx.store.db
        .insertInto('accounts')
        .values({ username: `interrupted${accounts}`, email: `interrupted${accounts}@example.com`, password_hash: '-', created_at: START_MS })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { accountId: Number(row.id), tierName: 'Basic', maxBackupSizeMb: 150, backupVersions: 1 };
    }

    function input(data: Buffer, start: number, end: number, uploadId: string | null): ChunkInput {
      return { uploadId, fileHash: hashOf(data), lastModifyTs: 1_700_000_000, compression: 'zlib', totalSize: data.length, start, end };
    }

    async function bytesReceived(uploadId: string): Promise<number> {
      const row = await t.ctx.store.db.selectFrom('backup_uploads').select('bytes_received').where('id', '=', uploadId).executeTakeFirstOrThrow();
      return Number(row.bytes_received);
    }

    it.each([
      ['before the server reads it', () => destroyedBeforeRead()],
      ['halfway through', (data: Buffer) => destroyedMidway(data.subarray(3000, 4500))],
    ])('%s: refused as interrupted, and the same chunk sent again completes the upload', async (_when, interrupted) => {
      const who = await uploader();
      const data = randomBytes(9000);
      const first = await receiveChunk(b, who, input(data, 0, 2999, null), Readable.from([data.subarray(0, 3000)]));
      expect(first.status).toBe('partial');
      const uploadId = first.uploadId;

      const refusal = await receiveChunk(b, who, input(data, 3000, 5999, uploadId), interrupted(data)).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(BackupError);
      expect(refusal).toMatchObject({ status: 400, code: BackupErrorCode.InvalidChunk });
      expect(await bytesReceived(uploadId)).toBe(3000);

      expect(await receiveChunk(b, who, input(data, 3000, 5999, uploadId), Readable.from([data.subarray(3000, 6000)]))).toEqual({ status: 'partial', uploadId });
      const last = await receiveChunk(b, who, input(data, 6000, 8999, uploadId), Readable.from([data.subarray(6000)]));
      expect(last.status).toBe('complete');
      const opened = await openBackup(b, who.accountId);
      expect(opened).not.toBeNull();
      expect((await bytesOf((opened as NonNullable<typeof opened>).stream)).equals(data)).toBe(true);
    });

    it('a first chunk whose client went away before it was read leaves no upload behind', async () => {
      const who = await uploader();
      const data = randomBytes(2000);
      await expect(receiveChunk(b, who, input(data, 0, 1999, null), destroyedBeforeRead())).rejects.toMatchObject({
        status: 400,
        code: BackupErrorCode.InvalidChunk,
      });
      const open = await t.ctx.store.db.selectFrom('backup_uploads').select('id').where('account_id', '=', who.accountId).where('state', '=', 'open').execute();
      expect(open).toEqual([]);
      // The next upload of this account goes through.
      const again = await receiveChunk(b, who, input(data, 0, 1999, null), Readable.from([data]));
      expect(again.status).toBe('complete');
    });
  });
}
