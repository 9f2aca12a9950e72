import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { BackupFileError, BackupHashRejectedError, BackupQuotaExceededError } from '../src/backup-errors.ts';
import { downloadBackup, uploadBackup } from '../src/backup.ts';
import { ServerUnreachableError } from '../src/errors.ts';
import { PremiumClient } from '../src/premium-client.ts';

const TEN_MINUTES = 10 * 60_000;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The backup functions of the SDK against a real server (SQLite, file store;
 * the server side runs on every database and store in the server's suites):
 * typed errors, the retry with a fresh signature, and the download's temporary
 * file.
 */
describe('backup upload and download (client SDK)', () => {
  let storage: TestStorage;
  let server: ServerHandle;
  let admin: ServerContext;
  const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-client-backup-'));

  beforeAll(async () => {
    storage = await createTestStorage('sqlite');
    server = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir });
    admin = await openServerContext(server);
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    await storage?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function clientFor(tier: string, options: { clock?: () => number } = {}): Promise<PremiumClient> {
    const who = await admin.createSubscriber(tier);
    return new PremiumClient({ baseUrl: server.url, apiKey: who.apiKey, apiSecret: who.apiSecret, deviceIdentifier: null, ...options });
  }

  /** Chunks the server has refused so far (it logs each). */
  function refusals(): number {
    return server.logs().split('"msg":"backup chunk refused"').length - 1;
  }

  function file(name: string, data: Buffer): string {
    const path = join(scratch, name);
    writeFileSync(path, data);
    return path;
  }

  it('uploads in chunks of the given size, reports progress, and downloads through a temporary file', async () => {
    const client = await clientFor('Basic');
    const data = randomBytes(250_000);
    const seen: number[] = [];
    const result = await client.uploadBackup(file('chunked.bin', data), {
      lastModifyTs: 1_700_000_000,
      chunkSize: 100_000,
      onProgress: (p) => seen.push(p.bytesSent),
    });
    expect(result).toEqual({ fileHash: sha256(data), totalBytes: 250_000, chunkCount: 3 });
    expect(seen.at(-1)).toBe(250_000);
    expect(await client.metadata()).toMatchObject({ data_hash: sha256(data), data_size: 250_000, last_modify_ts: 1_700_000_000 });

    const destination = join(scratch, 'restored.bin');
    writeFileSync(destination, 'old local copy');
    const progress: [number, number | null][] = [];
    const downloaded = await client.downloadBackup(destination, { onProgress: (p) => progress.push([p.bytesReceived, p.totalBytes]) });
    expect(downloaded).toEqual({ path: destination, size: 250_000, sha256: sha256(data) });
    expect(readFileSync(destination).equals(data)).toBe(true);
    expect(progress.at(-1)).toEqual([250_000, 250_000]);
    expect(readdirSync(scratch).filter((name) => name.includes('.part'))).toEqual([]);
  });

  it('a large file: chunks read through the reused buffers (more blocks than the pool holds), the download hashed behind its writer', async () => {
    const client = await clientFor('Basic');
    // 2 chunks of about 6.7 MB (each more than the 4 × 1 MiB pool), a last block shorter than 1 MiB; ≥ 8 MiB is hashed on a worker.
    const data = randomBytes(13 * 1024 * 1024 + 12_345);
    const result = await client.uploadBackup(file('large.bin', data), { lastModifyTs: 1_700_000_001, chunkSize: 7_000_000 });
    expect(result).toEqual({ fileHash: sha256(data), totalBytes: data.length, chunkCount: 2 });

    const destination = join(scratch, 'large-restored.bin');
    const downloaded = await client.downloadBackup(destination);
    expect(downloaded).toEqual({ path: destination, size: data.length, sha256: sha256(data) });
    expect(readFileSync(destination).equals(data)).toBe(true);
  });

  it('uploads bytes held in memory (no file), in chunks, with progress; an empty buffer is refused before any request', async () => {
    const client = await clientFor('Basic');
    const data = randomBytes(2_500_000 + 17);
    const progress: number[] = [];
    const result = await client.uploadBackup(data, { lastModifyTs: 1_700_000_002, chunkSize: 1_000_000, onProgress: (p) => progress.push(p.bytesSent) });
    expect(result).toEqual({ fileHash: sha256(data), totalBytes: data.length, chunkCount: 3 });
    expect(progress.at(-1)).toBe(data.length);
    expect((await client.metadata()).data_hash).toBe(sha256(data));
    const destination = join(scratch, 'from-memory.bin');
    await client.downloadBackup(destination);
    expect(readFileSync(destination).equals(data)).toBe(true);
    expect(await rejection(client.uploadBackup(Buffer.alloc(0), { lastModifyTs: 1 }))).toBeInstanceOf(BackupFileError);
  });

  it('signs each chunk afresh: a refused nonce (clock 10 minutes off) is corrected and the chunk sent again', async () => {
    const client = await clientFor('Basic', { clock: () => Date.now() - TEN_MINUTES });
    const data = randomBytes(30_000);
    await client.uploadBackup(file('skewed.bin', data), { lastModifyTs: 1, chunkSize: 10_000 });
    expect(Math.abs(client.clockOffsetMs - TEN_MINUTES)).toBeLessThan(60_000);
    expect((await client.metadata()).data_hash).toBe(sha256(data));
  });

  it('throws BackupQuotaExceededError with the plan and its limit, after one request', async () => {
    const client = await clientFor('Supporter');
    const before = refusals();
    const error = await rejection(client.uploadBackup(file('quota.bin', randomBytes(1000)), { lastModifyTs: 1 }));
    expect(refusals() - before).toBe(1);
    expect(error).toBeInstanceOf(BackupQuotaExceededError);
    expect(error).toMatchObject({ status: 413, limitMb: 0, tier: 'Supporter' });
    expect((error as Error).message).toMatch(/Supporter plan/);
  });

  it('throws BackupHashRejectedError when the bytes do not match the hash, and the previous backup stays', async () => {
    const client = await clientFor('Basic');
    const previous = randomBytes(5000);
    await client.uploadBackup(file('previous.bin', previous), { lastModifyTs: 1 });
    const before = refusals();
    const error = await rejection(
      client.uploadBackup(file('wrong-hash.bin', randomBytes(5000)), { lastModifyTs: 2, fileHash: sha256(randomBytes(4)) }),
    );
    expect(error).toBeInstanceOf(BackupHashRejectedError);
    // Final: not sent again (the upload is gone, a retry could only fail differently).
    expect(refusals() - before).toBe(1);
    expect((await client.metadata()).data_hash).toBe(sha256(previous));
  });

  it('answers null for a download when there is no backup, and leaves the destination alone', async () => {
    const client = await clientFor('Basic');
    const destination = join(scratch, 'untouched.bin');
    writeFileSync(destination, 'keep me');
    expect(await downloadBackup(client.connection, destination)).toBeNull();
    expect(readFileSync(destination, 'utf8')).toBe('keep me');
  });

  it('throws ServerUnreachableError when no server answers, and BackupFileError for an empty or missing file', async () => {
    const client = await clientFor('Basic');
    const offline = { ...client.connection, baseUrl: `http://127.0.0.1:${await closedPort()}` };
    const source = file('offline.bin', randomBytes(100));
    expect(await rejection(uploadBackup(offline, source, { lastModifyTs: 1 }))).toBeInstanceOf(ServerUnreachableError);
    expect(await rejection(downloadBackup(offline, join(scratch, 'offline-out.bin')))).toBeInstanceOf(ServerUnreachableError);
    expect(existsSync(join(scratch, 'offline-out.bin'))).toBe(false);
    expect(await rejection(uploadBackup(client.connection, file('empty.bin', Buffer.alloc(0)), { lastModifyTs: 1 }))).toBeInstanceOf(BackupFileError);
    expect(await rejection(uploadBackup(client.connection, join(scratch, 'missing.bin'), { lastModifyTs: 1 }))).toBeInstanceOf(BackupFileError);
  });
});
