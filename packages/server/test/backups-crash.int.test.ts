import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UPLOAD_CHUNK_SIZE } from '@rotki-premium/protocol';
import { PremiumClient, uploadBackup } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { BLOB_STORES, startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { storedUploadIds, type BlobLocation } from './support/blob-contents.ts';
import { getBackup, postChunk, prepareChunk, sendPartially, sha256Base64, type ChunkFields } from './support/backup-wire.ts';
import { call, ENDPOINTS } from './support/rotki-app.ts';

/**
 * A crash at any point of an upload loses nothing (DESIGN.md): the server
 * process is SIGKILLed in the middle of a multi-chunk upload, and between the
 * last chunk's arrival and the switch of the backup (held there by the
 * test-only ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS hook). After a
 * restart on the same data the previous backup downloads byte for byte, and
 * the sweep removes what the interrupted upload left.
 */
type Store = (typeof BLOB_STORES)[number];
/**
 * Every scenario runs on each dialect with the file store. The S3 store's own
 * crash behaviour (the parts of an interrupted multipart upload left in the
 * bucket, found and removed by the sweep) is one scenario, on PostgreSQL (its
 * usual companion) when that dialect runs: the rest goes through the same
 * code whatever the store.
 */
const S3_DIALECT = DIALECTS.includes('postgres') ? 'postgres' : DIALECTS[0];
const COMBINATIONS = [
  ...DIALECTS.map((dialect) => [dialect, 'file'] as const),
  ...(S3_DIALECT === undefined ? [] : [[S3_DIALECT, 's3'] as const]),
].filter(([, store]: readonly [string, Store]) => BLOB_STORES.includes(store));
const PAUSE_LOG = 'test hook: pausing before the backup switch';

let s3: S3Server | null = null;
const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-crash-'));
/** 25,000,000 bytes: three chunks of the rotki app's size. */
const NEXT = randomBytes(25_000_000);

beforeAll(async () => {
  if (BLOB_STORES.includes('s3')) s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function chunkOf(data: Buffer, index: number): { range: [number, number]; bytes: Buffer } {
  const start = index * UPLOAD_CHUNK_SIZE;
  const end = Math.min(start + UPLOAD_CHUNK_SIZE, data.length) - 1;
  return { range: [start, end], bytes: data.subarray(start, end + 1) };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

for (const [dialect, store] of COMBINATIONS) {
  describe(`backup crash safety (${dialect}, ${store} store)`, () => {
    const everyScenario = store === 'file';
    let storage: TestStorage;
    let env: NodeJS.ProcessEnv = {};
    const bucket = `crash-${dialect}-${randomBytes(3).toString('hex')}`;
    let running: ServerHandle | null = null;
    /** The domain over the same storage, in this process, for setup and for reading rows. */
    let admin: ServerContext | null = null;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      if (store === 's3') {
        if (s3 === null) throw new Error('S3 server not started');
        await s3.createBucket(bucket);
        env = s3.envFor(bucket);
      }
    });
    afterAll(async () => {
      await admin?.close();
      await running?.stop();
      await storage?.cleanup();
    });

    async function start(extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerHandle> {
      running = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ...env, ...extraEnv } });
      admin ??= await openServerContext(running);
      return running;
    }

    async function crash(server: ServerHandle): Promise<void> {
      await server.kill();
      running = null;
    }

    function location(): BlobLocation {
      return store === 's3' ? { store, s3: s3!, bucket } : { store, dataDir: storage.dataDir };
    }

    /** A subscriber whose stored backup is `previous` (a 2-chunk upload through the client SDK). */
    async function subscriberWithBackup(server: ServerHandle, previous: Buffer): Promise<Subscriber> {
      const who = await admin!.createSubscriber('Basic');
      const source = join(scratch, `${dialect}-${store}-${who.username}.bin`);
      writeFileSync(source, previous);
      const client = new PremiumClient({ baseUrl: server.url, apiKey: who.apiKey, apiSecret: who.apiSecret, deviceIdentifier: null });
      await uploadBackup(client.connection, source, { lastModifyTs: 1_600_000_000 });
      return who;
    }

    async function expectPreviousBackup(server: ServerHandle, who: Subscriber, previous: Buffer): Promise<void> {
      const meta = await call(server.url, who, ENDPOINTS.lastDataMetadata);
      expect(meta.json).toMatchObject({ last_modify_ts: 1_600_000_000, data_hash: sha256Base64(previous), data_size: previous.length });
      const download = await getBackup(server.url, who);
      expect(download.status).toBe(200);
      expect(download.headers['content-length']).toBe(String(previous.length));
      expect(download.bytes.equals(previous)).toBe(true);
    }

    /** The account's open upload, read from the database. */
    async function openUploadOf(who: Subscriber): Promise<{ bytes_received: number; total_size: number } | null> {
      const row = await admin!.ctx.store.db
        .selectFrom('backup_uploads')
        .innerJoin('accounts', 'accounts.id', 'backup_uploads.account_id')
        .select(['backup_uploads.bytes_received', 'backup_uploads.expected_size'])
        .where('accounts.username', '=', who.username)
        .where('backup_uploads.state', '=', 'open')
        .executeTakeFirst();
      return row === undefined ? null : { bytes_received: Number(row.bytes_received), total_size: Number(row.expected_size) };
    }

    it('SIGKILL in the middle of a 3-chunk upload: the previous backup stays, the partial upload is swept', { timeout: 240_000 }, async () => {
      let server = await start();
      const previous = randomBytes(12_000_000);
      const who = await subscriberWithBackup(server, previous);
      const before = await storedUploadIds(location());

      const fields: ChunkFields = { fileHash: sha256Base64(NEXT), lastModifyTs: 1_700_000_000, totalSize: NEXT.length };
      const first = chunkOf(NEXT, 0);
      const started = await postChunk(server.url, who, fields, first.range, first.bytes);
      expect(started.status).toBe(206);
      fields.uploadId = String((started.json as { upload_id: string }).upload_id);
      const second = chunkOf(NEXT, 1);
      expect((await postChunk(server.url, who, fields, second.range, second.bytes)).status).toBe(206);
      // The third chunk is on its way when the server dies.
      const third = chunkOf(NEXT, 2);
      const request = prepareChunk(who, fields, third.range, third.bytes);
      const partial = sendPartially(server.url, request, Math.floor(request.body.length / 2));
      await partial.written;
      await crash(server);
      await partial.closed;

      server = await start();
      await expectPreviousBackup(server, who, previous);
      expect(await openUploadOf(who)).toEqual({ bytes_received: 20_000_000, total_size: 25_000_000 });
      expect(await storedUploadIds(location())).toEqual([...before, fields.uploadId].sort());

      const swept = await server.admin(['admin', 'backups', 'sweep', '--idle', '0']);
      expect(swept.removed).toBeGreaterThanOrEqual(1);
      expect(await openUploadOf(who)).toBeNull();
      expect(await storedUploadIds(location())).toEqual(before);
      await expectPreviousBackup(server, who, previous);
      await server.stop();
      running = null;
    });

    it.runIf(everyScenario)('SIGKILL between the last chunk and the switch: the previous backup stays, the sealed upload is swept', { timeout: 240_000 }, async () => {
      let server = await start();
      const previous = randomBytes(3_000_000);
      const who = await subscriberWithBackup(server, previous);
      const before = await storedUploadIds(location());
      await server.stop();

      server = await start({ ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS: '600000' });
      const fields: ChunkFields = { fileHash: sha256Base64(NEXT), lastModifyTs: 1_700_000_000, totalSize: NEXT.length };
      const first = chunkOf(NEXT, 0);
      const started = await postChunk(server.url, who, fields, first.range, first.bytes);
      fields.uploadId = String((started.json as { upload_id: string }).upload_id);
      const second = chunkOf(NEXT, 1);
      expect((await postChunk(server.url, who, fields, second.range, second.bytes)).status).toBe(206);
      const last = chunkOf(NEXT, 2);
      const lastAnswer = postChunk(server.url, who, fields, last.range, last.bytes).catch((error: unknown) => error);
      const paused = server;
      await waitFor(() => paused.logs().includes(PAUSE_LOG), 'the server to pause before the switch');
      await crash(server);
      expect(await lastAnswer).toBeInstanceOf(Error);

      server = await start();
      await expectPreviousBackup(server, who, previous);
      // Every byte arrived and was sealed, but the backup was never switched to it.
      expect(await openUploadOf(who)).toEqual({ bytes_received: 25_000_000, total_size: 25_000_000 });
      expect(await storedUploadIds(location())).toEqual([...before, fields.uploadId].sort());

      await server.admin(['admin', 'backups', 'sweep', '--idle', '0']);
      expect(await openUploadOf(who)).toBeNull();
      expect(await storedUploadIds(location())).toEqual(before);
      await expectPreviousBackup(server, who, previous);
      await server.stop();
      running = null;
    });

    it.runIf(everyScenario)('after such a crash, the last chunk sent again completes the upload', { timeout: 240_000 }, async () => {
      let server = await start();
      const previous = randomBytes(3_000_000);
      const who = await subscriberWithBackup(server, previous);
      await server.stop();

      server = await start({ ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS: '600000' });
      const data = NEXT.subarray(0, 15_000_000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length };
      const first = chunkOf(data, 0);
      const started = await postChunk(server.url, who, fields, first.range, first.bytes);
      fields.uploadId = String((started.json as { upload_id: string }).upload_id);
      const last = chunkOf(data, 1);
      const lastAnswer = postChunk(server.url, who, fields, last.range, last.bytes).catch((error: unknown) => error);
      const paused = server;
      await waitFor(() => paused.logs().includes(PAUSE_LOG), 'the server to pause before the switch');
      await crash(server);
      await lastAnswer;

      server = await start();
      await expectPreviousBackup(server, who, previous);
      // The client's retry of the last chunk: answered as the first time would have been, and the backup switches.
      const retried = await postChunk(server.url, who, fields, last.range, last.bytes);
      expect({ status: retried.status, body: retried.json }).toEqual({ status: 200, body: { success: true } });
      const download = await getBackup(server.url, who);
      expect(download.bytes.equals(data)).toBe(true);
      await server.stop();
      running = null;
    });
  });
}
