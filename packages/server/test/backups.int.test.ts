import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupErrorCode, messages } from '@rotki-premium/protocol';
import { BackupQuotaExceededError, PremiumClient, downloadBackup, uploadBackup } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_CHUNK_REFUSED } from '../src/http/routes/backup-api.ts';
import { DIALECTS } from '../../../test-support/databases.ts';
import { BLOB_STORES, startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { expectError, expectJson } from './support/assertions.ts';
import { storedUploadIds } from './support/blob-contents.ts';
import {
  getBackup,
  postChunk,
  postChunkAndDisconnect,
  prepareChunk,
  sendPartially,
  sendRaw,
  sha256Base64,
  uploadAsRotki,
  type ChunkFields,
} from './support/backup-wire.ts';
import { call, deviceId, ENDPOINTS, registration } from './support/rotki-app.ts';

const EMPTY_METADATA = { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 };
const MIB = 1_048_576;

/**
 * Backup sync (PROTOCOL.md §5, decisions 3–5) against the real server process,
 * on every database × blob store: the S3 store talks to a real S3-compatible
 * server started by this file.
 */
const COMBINATIONS = DIALECTS.flatMap((dialect) => BLOB_STORES.map((store) => [dialect, store] as const));

let s3: S3Server | null = null;
const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-backups-'));

beforeAll(async () => {
  if (BLOB_STORES.includes('s3')) s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

for (const [dialect, store] of COMBINATIONS) {
  describe(`backups (${dialect}, ${store} store)`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    const bucket = `rotki-${dialect}-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      let env: NodeJS.ProcessEnv = {};
      if (store === 's3') {
        if (s3 === null) throw new Error('S3 server not started');
        await s3.createBucket(bucket);
        env = s3.envFor(bucket);
      }
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
      admin = await openServerContext(server);
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    /** Upload ids that have bytes in the blob store (uploads in progress, backups, replaced backups). */
    function storedIds(): Promise<string[]> {
      return storedUploadIds(store === 's3' ? { store, s3: s3!, bucket } : { store, dataDir: server.dataDir });
    }

    /** The account's open upload, read from the database the server uses. */
    async function openUpload(username: string): Promise<{ bytes_received: number; total_size: number } | null> {
      const row = await admin.ctx.store.db
        .selectFrom('backup_uploads')
        .innerJoin('accounts', 'accounts.id', 'backup_uploads.account_id')
        .select(['backup_uploads.bytes_received', 'backup_uploads.expected_size'])
        .where('accounts.username', '=', username)
        .where('backup_uploads.state', '=', 'open')
        .executeTakeFirst();
      return row === undefined ? null : { bytes_received: Number(row.bytes_received), total_size: Number(row.expected_size) };
    }

    /** How many chunks the server has refused so far (it logs each). */
    function refusals(): number {
      return server.logs().split(`"msg":"${BACKUP_CHUNK_REFUSED}"`).length - 1;
    }

    function clientOf(who: Subscriber): PremiumClient {
      return new PremiumClient({ baseUrl: server.url, apiKey: who.apiKey, apiSecret: who.apiSecret, deviceIdentifier: null });
    }

    /** A subscriber with a stored backup of `data` (uploaded as the rotki app does, in small chunks). */
    async function subscriberWithBackup(data: Buffer, tier = 'Basic'): Promise<Subscriber> {
      const who = await admin.createSubscriber(tier);
      const answers = await uploadAsRotki(server.url, who, data, { chunkSize: 4096, lastModifyTs: 1_600_000_000 });
      expect(answers.at(-1)?.status).toBe(200);
      return who;
    }

    /** The stored backup is still `data`: metadata and download. */
    async function expectBackup(who: Subscriber, data: Buffer): Promise<void> {
      const meta = (await call(server.url, who, ENDPOINTS.lastDataMetadata)).json as Record<string, unknown>;
      expect(meta).toMatchObject({ data_hash: sha256Base64(data), data_size: data.length });
      const download = await getBackup(server.url, who);
      expect(download.status).toBe(200);
      expect(download.bytes.equals(data)).toBe(true);
    }

    it('answers the empty metadata and 404 before the first upload', async () => {
      const who = await admin.createSubscriber('Basic');
      expectJson(await call(server.url, who, ENDPOINTS.lastDataMetadata), 200, EMPTY_METADATA);
      expectError(await getBackup(server.url, who), 404, messages.backupNotFound());
      expect(await downloadBackup(clientOf(who).connection, join(scratch, 'none.bin'))).toBeNull();
      expect(existsSync(join(scratch, 'none.bin'))).toBe(false);
    });

    it('stores a 3-chunk upload from the client SDK and serves it byte for byte with Content-Length', { timeout: 180_000 }, async () => {
      const who = await admin.createSubscriber('Basic');
      const data = randomBytes(25_000_000);
      const source = join(scratch, `${dialect}-${store}-upload.bin`);
      writeFileSync(source, data);
      const progress: number[] = [];
      const before = Math.floor(Date.now() / 1000);
      const result = await clientOf(who).uploadBackup(source, {
        lastModifyTs: 1_700_000_123,
        onProgress: (p) => progress.push(p.chunk),
      });
      const after = Math.ceil(Date.now() / 1000);
      expect(result).toEqual({ fileHash: sha256Base64(data), totalBytes: 25_000_000, chunkCount: 3 });
      expect([...new Set(progress)]).toEqual([1, 2, 3]);

      const meta = (await call(server.url, who, ENDPOINTS.lastDataMetadata)).json as Record<string, number | string>;
      expect(meta).toMatchObject({ last_modify_ts: 1_700_000_123, data_hash: sha256Base64(data), data_size: 25_000_000 });
      expect(meta.upload_ts).toBeGreaterThanOrEqual(before);
      expect(meta.upload_ts).toBeLessThanOrEqual(after);

      const raw = await getBackup(server.url, who);
      expect(raw.status).toBe(200);
      expect(raw.headers['content-length']).toBe('25000000');
      expect(raw.bytes.equals(data)).toBe(true);

      const destination = join(scratch, `${dialect}-${store}-download.bin`);
      const downloaded = await clientOf(who).downloadBackup(destination);
      expect(downloaded).toEqual({ path: destination, size: 25_000_000, sha256: sha256Base64(data) });
      expect(readFileSync(destination).equals(data)).toBe(true);
      expect(readdirSync(scratch).filter((name) => name.endsWith('.part'))).toEqual([]);
    });

    it('follows the rotki app handshake: 206 with an opaque upload_id, 206, then 200 {"success": true}', async () => {
      const who = await admin.createSubscriber('Basic');
      const data = randomBytes(10_000);
      const answers = await uploadAsRotki(server.url, who, data, { chunkSize: 4000 });
      expect(answers.map((a) => a.status)).toEqual([206, 206, 200]);
      const uploadId = (answers[0]?.json as { upload_id: unknown }).upload_id;
      expect(uploadId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(answers[1]?.json).toEqual({ upload_id: uploadId });
      expect(answers[2]?.json).toEqual({ success: true });
      await expectBackup(who, data);

      // A backup of one chunk: one request without upload_id, answered 200.
      const small = randomBytes(3000);
      const single = await uploadAsRotki(server.url, who, small, { chunkSize: 4000 });
      expect(single.map((a) => [a.status, a.json])).toEqual([[200, { success: true }]]);
      await expectBackup(who, small);
    });

    it('answers a chunk sent again as the first time, and stores it once', async () => {
      const who = await admin.createSubscriber('Basic');
      const data = randomBytes(9000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length };
      const first = await postChunk(server.url, who, fields, [0, 2999], data.subarray(0, 3000));
      expect(first.status).toBe(206);
      fields.uploadId = String((first.json as { upload_id: string }).upload_id);
      const second = await postChunk(server.url, who, fields, [3000, 5999], data.subarray(3000, 6000));
      expectJson(second, 206, { upload_id: fields.uploadId });
      expectJson(await postChunk(server.url, who, fields, [3000, 5999], data.subarray(3000, 6000)), 206, { upload_id: fields.uploadId });
      expectJson(await postChunk(server.url, who, fields, [0, 2999], data.subarray(0, 3000)), 206, { upload_id: fields.uploadId });
      expectJson(await postChunk(server.url, who, fields, [6000, 8999], data.subarray(6000)), 200, { success: true });
      // The last chunk again, after the switch: still 200, nothing changes.
      const meta = (await call(server.url, who, ENDPOINTS.lastDataMetadata)).json;
      expectJson(await postChunk(server.url, who, fields, [6000, 8999], data.subarray(6000)), 200, { success: true });
      expect((await call(server.url, who, ENDPOINTS.lastDataMetadata)).json).toEqual(meta);
      await expectBackup(who, data);
    });

    it('refuses a gap and an overlap with 400, then goes on from the right offset', async () => {
      const who = await admin.createSubscriber('Basic');
      const data = randomBytes(6000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length };
      const first = await postChunk(server.url, who, fields, [0, 1999], data.subarray(0, 2000));
      fields.uploadId = String((first.json as { upload_id: string }).upload_id);
      expectError(await postChunk(server.url, who, fields, [4000, 5999], data.subarray(4000)), 400, messages.backupChunkOutOfOrder(2000, 4000));
      expectError(await postChunk(server.url, who, fields, [1000, 2999], data.subarray(1000, 3000)), 400, messages.backupChunkOutOfOrder(2000, 1000));
      expect(await openUpload(who.username)).toEqual({ bytes_received: 2000, total_size: 6000 });
      expect((await postChunk(server.url, who, fields, [2000, 3999], data.subarray(2000, 4000))).status).toBe(206);
      expect((await postChunk(server.url, who, fields, [4000, 5999], data.subarray(4000))).status).toBe(200);
      await expectBackup(who, data);
    });

    it('answers 413 as soon as total_size exceeds the plan (MiB), and for a plan without backups', async () => {
      const basic = await admin.createSubscriber('Basic');
      const chunk = randomBytes(1000);
      const over = { fileHash: sha256Base64(chunk), lastModifyTs: 1, totalSize: 150 * MIB + 1 };
      const refused = await postChunk(server.url, basic, over, [0, 999], chunk);
      expectError(refused, 413, messages.backupQuotaExceeded(150, 'Basic', 150 * MIB + 1));
      expect(refused.json).toMatchObject({ code: BackupErrorCode.QuotaExceeded, max_backup_size_mb: 150, tier: 'Basic' });
      // Exactly the limit is allowed.
      const atLimit = await postChunk(server.url, basic, { ...over, totalSize: 150 * MIB }, [0, 999], chunk);
      expect(atLimit.status).toBe(206);

      const supporter = await admin.createSubscriber('Supporter');
      expectError(await postChunk(server.url, supporter, { ...over, totalSize: 1000 }, [0, 999], chunk), 413, messages.backupQuotaExceeded(0, 'Supporter', 1000));
      const source = join(scratch, `${dialect}-${store}-small.bin`);
      writeFileSync(source, chunk);
      const error = await uploadBackup(clientOf(supporter).connection, source, { lastModifyTs: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupQuotaExceededError);
      expect(error).toMatchObject({ limitMb: 0, tier: 'Supporter' });
      expect(await openUpload(supporter.username)).toBeNull();
    });

    it('refuses an upload whose bytes do not match file_hash and keeps the previous backup', async () => {
      const previous = randomBytes(5000);
      const who = await subscriberWithBackup(previous);
      const before = await storedIds();
      const data = randomBytes(8000);
      const answers = await uploadAsRotki(server.url, who, data, { chunkSize: 3000, fileHash: sha256Base64(randomBytes(8)) });
      expect(answers.map((a) => a.status)).toEqual([206, 206, 400]);
      expectError(answers[2]!, 400, messages.backupHashMismatch());
      expect((answers[2]!.json as { code: string }).code).toBe(BackupErrorCode.HashMismatch);
      await expectBackup(who, previous);
      expect(await openUpload(who.username)).toBeNull();
      expect(await storedIds()).toEqual(before);
    });

    describe('bad chunks: 4xx {"error"}, nothing stored, the previous backup intact', () => {
      const previous = randomBytes(3000);
      const data = randomBytes(2000);
      const good: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length };
      let who: Subscriber;
      let before: string[];

      beforeAll(async () => {
        who = await subscriberWithBackup(previous);
        before = await storedIds();
      });

      async function expectNothingStored(): Promise<void> {
        expect(await openUpload(who.username)).toBeNull();
        expect(await storedIds()).toEqual(before);
        await expectBackup(who, previous);
      }

      it.each([
        ['0', /total_size/],
        ['-5', /total_size/],
        ['abc', /total_size/],
        ['', /total_size/],
        ['1e3', /total_size/],
      ])('total_size %j', async (totalSize, message) => {
        const answer = await postChunk(server.url, who, { ...good, totalSize }, [0, 1999], data, { contentRange: `bytes 0-1999/${totalSize}` });
        expectError(answer, 400, message);
        await expectNothingStored();
      });

      it('a missing file part', async () => {
        expectError(await postChunk(server.url, who, good, [0, 1999], data, { fileField: null }), 400, messages.backupMissingFile());
        await expectNothingStored();
      });

      it('the file part under another name', async () => {
        expectError(await postChunk(server.url, who, good, [0, 1999], data, { fileField: 'db_file' }), 400, messages.backupMissingFile());
        await expectNothingStored();
      });

      it('a chunk larger than its Content-Range announces', async () => {
        const answer = await postChunk(server.url, who, good, [0, 999], data);
        expectError(answer, 400, messages.backupChunkTooLarge(1000));
        await expectNothingStored();
      });

      it('a chunk shorter than its Content-Range announces', async () => {
        expectError(await postChunk(server.url, who, good, [0, 1999], data.subarray(0, 500)), 400, messages.backupChunkTooShort(2000, 500));
        await expectNothingStored();
      });

      it.each([
        ['a total other than total_size', 'bytes 0-1999/5000', /differs from total_size/],
        ['a last byte beyond the end', 'bytes 0-2000/2000', /beyond the end/],
        ['first after last', 'bytes 1999-0/2000', /after the last byte/],
        ['no unit', '0-1999/2000', /not of that form/],
        ['no header', null, /missing/],
      ])('a Content-Range with %s', async (_case, contentRange, message) => {
        expectError(await postChunk(server.url, who, good, [0, 1999], data, { contentRange }), 400, message);
        await expectNothingStored();
      });

      it('a first chunk that does not start at byte 0', async () => {
        expectError(await postChunk(server.url, who, good, [1000, 1999], data.subarray(1000)), 400, messages.backupFirstChunkOffset());
        await expectNothingStored();
      });

      it('a file_hash that is not base64 SHA-256, and an unknown upload_id', async () => {
        expectError(await postChunk(server.url, who, { ...good, fileHash: 'abc' }, [0, 1999], data), 400, /file_hash/);
        expectError(await postChunk(server.url, who, { ...good, uploadId: 'no-such-upload' }, [0, 1999], data), 400, messages.backupUnknownUpload());
        await expectNothingStored();
      });

      it('a client that disconnects in the middle of a first chunk', async () => {
        const request = prepareChunk(who, good, [0, 1999], data);
        const refused = refusals();
        const partial = sendPartially(server.url, request, request.body.length - 800);
        await partial.written;
        // The server has verified the fields and opened the upload: the chunk is on its way.
        await waitFor(async () => (await openUpload(who.username)) !== null, 'the upload to open');
        partial.destroy();
        await waitFor(() => refusals() > refused, 'the server to refuse the interrupted chunk');
        await expectNothingStored();
      });

      it('unsigned or wrongly signed requests: 403 before the chunk is read', async () => {
        const request = prepareChunk(who, good, [0, 1999], data);
        const forged = { ...request, headers: { ...request.headers, 'api-sign': 'A'.repeat(88) } };
        expectError(await sendRaw(server.url, 'POST', forged), 403, messages.signatureMismatch());
        const unsigned = { ...request, headers: { ...request.headers } };
        delete unsigned.headers['api-key'];
        delete unsigned.headers['api-sign'];
        expectError(await sendRaw(server.url, 'POST', unsigned), 403, messages.missingCredentials());
        expectError(await call(server.url, null, ENDPOINTS.downloadBackup), 403, messages.missingCredentials());
        await expectNothingStored();
      });
    });

    it('a client that disconnects in the middle of a later chunk: the chunk counts as not received and is sent again', async () => {
      const previous = randomBytes(3000);
      const who = await subscriberWithBackup(previous);
      const data = randomBytes(9000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length };
      const first = await postChunk(server.url, who, fields, [0, 2999], data.subarray(0, 3000));
      fields.uploadId = String((first.json as { upload_id: string }).upload_id);
      const request = prepareChunk(who, fields, [3000, 5999], data.subarray(3000, 6000));
      const refused = refusals();
      await postChunkAndDisconnect(server.url, request, request.body.length - 1500);
      await waitFor(() => refusals() > refused, 'the server to refuse the interrupted chunk');
      await expectBackup(who, previous);
      expect(await openUpload(who.username)).toEqual({ bytes_received: 3000, total_size: 9000 });
      expect((await postChunk(server.url, who, fields, [3000, 5999], data.subarray(3000, 6000))).status).toBe(206);
      expect((await postChunk(server.url, who, fields, [6000, 8999], data.subarray(6000))).status).toBe(200);
      await expectBackup(who, data);
    });

    it('a new first chunk abandons the open upload and removes its data', async () => {
      const who = await admin.createSubscriber('Basic');
      const before = await storedIds();
      const older = randomBytes(6000);
      const olderFields: ChunkFields = { fileHash: sha256Base64(older), lastModifyTs: 1, totalSize: older.length };
      const started = await postChunk(server.url, who, olderFields, [0, 2999], older.subarray(0, 3000));
      olderFields.uploadId = String((started.json as { upload_id: string }).upload_id);
      expect(await storedIds()).toEqual([...before, olderFields.uploadId].sort());

      const newer = randomBytes(4000);
      expect((await uploadAsRotki(server.url, who, newer, { chunkSize: 3000 })).map((a) => a.status)).toEqual([206, 200]);
      const stale = await postChunk(server.url, who, olderFields, [3000, 5999], older.subarray(3000));
      expectError(stale, 400, messages.backupUnknownUpload());
      expect(await storedIds()).not.toContain(olderFields.uploadId);
      await expectBackup(who, newer);
    });

    it('keeps the backup when the credentials are regenerated or a device is removed', async () => {
      const data = randomBytes(5000);
      const who = await subscriberWithBackup(data);
      const device = deviceId(`${dialect}-${store}-backup-device`);
      expect((await call(server.url, who, ENDPOINTS.registerDevice, registration(device, 'laptop'))).status).toBe(201);
      expect((await call(server.url, who, ENDPOINTS.deleteDevice, [['device_identifier', device]])).status).toBe(200);
      await expectBackup(who, data);

      const fresh = await server.admin(['admin', 'credentials', 'regenerate', '--username', who.username]);
      const renewed = { ...who, apiKey: String(fresh.api_key), apiSecret: String(fresh.api_secret) };
      expectError(await getBackup(server.url, who), 403, messages.unknownApiKey());
      await expectBackup(renewed, data);
    });

    it('the sweep leaves an open upload alone until it expires; admin backups show reports the backup', { timeout: 180_000 }, async () => {
      const who = await admin.createSubscriber('Basic');
      const data = randomBytes(4000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1, totalSize: data.length };
      const first = await postChunk(server.url, who, fields, [0, 1999], data.subarray(0, 2000));
      fields.uploadId = String((first.json as { upload_id: string }).upload_id);
      expect(await server.admin(['admin', 'backups', 'sweep'])).toMatchObject({ removed: 0, blob_store: store });
      expect((await postChunk(server.url, who, fields, [2000, 3999], data.subarray(2000))).status).toBe(200);
      await expectBackup(who, data);
      const shown = await server.admin(['admin', 'backups', 'show', '--username', who.username]);
      expect(shown).toMatchObject({ data_size: 4000, data_hash: sha256Base64(data), open_upload: null });
    });
  });
}
