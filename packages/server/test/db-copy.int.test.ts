import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { PremiumClient } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAccount } from '../src/domain/accounts.ts';
import { createSession } from '../src/domain/sessions.ts';
import { FileBlobStore } from '../src/store/blob-store-file.ts';
import { S3BlobStore } from '../src/store/blob-store-s3.ts';
import { copySqliteToPostgres } from '../src/store/copy/copy-to-postgres.ts';
import { createScratchPostgres, DIALECTS, type ScratchDatabase } from '../../../test-support/databases.ts';
import { startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, runCli, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { itServesTheRotkiApp, runRotkiLikeClient, type ConformanceRun } from './support/rotki-app-conformance.ts';
import { deviceId } from './support/rotki-app.ts';

interface CopyJson {
  tables: { table: string; source_rows: number; target_rows: number; matches: boolean; skipped: string | null }[];
  blobs_moved: number;
  matches: boolean;
  start_options: string[];
}

/** The application tables of a SQLite file, read with SQLite itself: what a copy must hold. */
function sqliteTableCounts(file: string): Map<string, number> {
  const db = new SQLite(file, { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'").pluck().all() as string[];
    return new Map(names.map((name) => [name, db.prepare(`SELECT count(*) FROM "${name}"`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

async function postgresRows(url: string, query: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(query)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

// The copy goes from SQLite to PostgreSQL: it needs both.
describe.runIf(DIALECTS.includes('postgres'))('admin db copy: a running SQLite installation into PostgreSQL', () => {
  let storage: TestStorage;
  let sqliteServer: ServerHandle;
  let admin: ServerContext;
  let s3: S3Server;
  const targets: ScratchDatabase[] = [];
  let scratch: string;
  /** Has a device and a 2.5 MB backup in three chunks. */
  let owner: Subscriber;
  /** Fresh: for the conformance run on the copy. */
  let fresh: Subscriber;
  let backupBytes: Buffer;
  let copyUrl: string;
  let copy: CopyJson;

  const copyInto = async (url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runCli(['admin', 'db', 'copy', '--to', url, '--json', ...extra], { ...sqliteServer.env, ...env });

  beforeAll(async () => {
    storage = await createTestStorage('sqlite');
    scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-copy-test-'));
    sqliteServer = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir });
    admin = await openServerContext(sqliteServer);
    owner = await admin.createSubscriber('Basic');
    fresh = await admin.createSubscriber('Basic');
    const lapsed = await admin.createSubscriber('Advanced');
    await sqliteServer.admin(['admin', 'subscription', 'expire', '--username', lapsed.username]);
    await createSession(admin.ctx, await requireAccount(admin.ctx, owner.username), 3_600_000);

    const client = new PremiumClient({ baseUrl: sqliteServer.url, apiKey: owner.apiKey, apiSecret: owner.apiSecret, deviceIdentifier: deviceId('copy-owner') });
    await client.registerDevice({ name: 'desk', platform: 'Linux' });
    backupBytes = randomBytes(2_500_000);
    writeFileSync(join(scratch, 'backup.bin'), backupBytes);
    await client.uploadBackup(join(scratch, 'backup.bin'), { lastModifyTs: 1_700_000_000, chunkSize: 1_000_000 });

    const target = await createScratchPostgres();
    targets.push(target);
    copyUrl = target.url;
    // Online: the SQLite server keeps running during the copy.
    const result = await copyInto(copyUrl);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    copy = result.json as unknown as CopyJson;
    // A server, three subscribers, an upload and the copy: room for a busy machine.
  }, 240_000);
  afterAll(async () => {
    await admin?.close();
    await sqliteServer?.stop();
    await s3?.stop();
    for (const target of targets) await target.drop();
    await storage?.cleanup();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('copies every table of the SQLite database, each verified by row count and checksum', async () => {
    const counts = sqliteTableCounts(join(storage.dataDir, 'rotki-premium.sqlite'));
    expect(copy.matches).toBe(true);
    expect(copy.tables.map((t) => t.table).sort()).toEqual([...counts.keys()].sort());
    for (const t of copy.tables) {
      expect(t, t.table).toMatchObject({ matches: true, skipped: null, target_rows: t.source_rows });
      expect(t.target_rows, t.table).toBe(counts.get(t.table));
    }
    for (const seeded of ['accounts', 'subscriptions', 'api_credentials', 'devices', 'backups', 'audit_events', 'sessions', 'replay_nonces']) {
      expect(copy.tables.find((t) => t.table === seeded)?.target_rows, seeded).toBeGreaterThan(0);
    }
    expect(copy.start_options).toEqual(['--database', copyUrl]);
    const accounts = await postgresRows(copyUrl, 'SELECT username FROM accounts ORDER BY id');
    expect(accounts.map((a) => a.username)).toEqual(expect.arrayContaining([owner.username, fresh.username]));
  });

  it('refuses a target that is not empty, and a source that is PostgreSQL already', async () => {
    const again = await copyInto(copyUrl);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: the target database has \d+ tables already; copy into a new, empty database\n$/);
    const fromPostgres = await runCli(['admin', 'db', 'copy', '--to', copyUrl], { ...sqliteServer.env, ROTKI_PREMIUM_DATABASE: copyUrl });
    expect(fromPostgres.code).toBe(2);
    expect(fromPostgres.stderr).toContain('pg_dump');
  });

  it('backs up the live SQLite database into a consistent file, and never over an existing one', async () => {
    const file = join(scratch, 'backup.sqlite');
    const backup = await sqliteServer.admin(['admin', 'db', 'backup', '--to', file]);
    expect(backup).toMatchObject({ file });
    const counts = sqliteTableCounts(file);
    expect(counts.get('accounts')).toBe(sqliteTableCounts(join(storage.dataDir, 'rotki-premium.sqlite')).get('accounts'));
    const twice = await runCli(['admin', 'db', 'backup', '--to', file], sqliteServer.env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('exists already');
  });

  describe('the copy, served on PostgreSQL', () => {
    let server: ServerHandle;
    let conformance: ConformanceRun;

    beforeAll(async () => {
      // The same data folder: the master key that encrypted the secrets.
      server = await startServer({ dialect: 'postgres', dataDir: storage.dataDir, databaseUrl: copyUrl });
      const device = deviceId('copy-conformance');
      conformance = { outcomes: await runRotkiLikeClient(server.url, fresh, device), who: fresh, device };
    }, 180_000);
    afterAll(async () => {
      await server?.stop();
    });

    itServesTheRotkiApp(() => conformance);

    it('keeps the devices and the backup, and creates new rows after the copied ids', async () => {
      const client = new PremiumClient({ baseUrl: server.url, apiKey: owner.apiKey, apiSecret: owner.apiSecret, deviceIdentifier: deviceId('copy-owner') });
      expect((await client.devices()).devices.map((d) => d.device_name)).toEqual(['desk']);
      const downloaded = await client.downloadBackup(join(scratch, 'from-copy.bin'));
      expect(downloaded?.size).toBe(backupBytes.length);
      expect(readFileSync(join(scratch, 'from-copy.bin')).equals(backupBytes)).toBe(true);
      const created = await server.admin(['admin', 'account', 'create', '--username', 'after-copy', '--email', 'after-copy@example.com', '--password', 'a long password']);
      const [{ max }] = (await postgresRows(copyUrl, "SELECT max(id)::int AS max FROM accounts WHERE username <> 'after-copy'")) as [{ max: number }];
      expect(created.id).toBe(max + 1);
    });
  });

  it('with --to-s3, moves the backups into the bucket and the copy serves them from there', { timeout: 240_000 }, async () => {
    s3 ??= await startS3Server();
    await s3.createBucket('copied');
    const target = await createScratchPostgres();
    targets.push(target);
    const s3Env = s3.envFor('copied');
    // The S3 options as `start` takes them; the blob store of the source stays the file store.
    const result = await copyInto(target.url, ['--to-s3'], { ...s3Env, ROTKI_PREMIUM_BLOB_STORE: 'file' });
    expect(result.code).toBe(0);
    const moved = result.json as unknown as CopyJson;
    expect(moved).toMatchObject({ matches: true, blobs_moved: 1 });
    expect(moved.start_options).toEqual(expect.arrayContaining(['--blob-store', 's3', '--s3-bucket', 'copied', '--s3-endpoint', s3.endpoint]));
    // One object: the move writes 10,000,000-byte parts.
    expect(await s3.listKeys('copied')).toHaveLength(1);

    const server = await startServer({ dialect: 'postgres', dataDir: storage.dataDir, databaseUrl: target.url, env: s3Env });
    try {
      const client = new PremiumClient({ baseUrl: server.url, apiKey: owner.apiKey, apiSecret: owner.apiSecret, deviceIdentifier: deviceId('copy-owner') });
      await client.downloadBackup(join(scratch, 'from-s3.bin'));
      expect(readFileSync(join(scratch, 'from-s3.bin')).equals(backupBytes)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('with --to-s3, a copy that fails after moving the backups takes them out of the bucket, so that a new copy leaves none behind', { timeout: 240_000 }, async () => {
    s3 ??= await startS3Server();
    await s3.createBucket('failed-copy');
    const target = await createScratchPostgres();
    targets.push(target);
    const env = s3.envFor('failed-copy');
    const from = await FileBlobStore.open(join(storage.dataDir, 'backups'));
    const to = await S3BlobStore.open({
      endpoint: s3.endpoint,
      bucket: 'failed-copy',
      region: String(env.ROTKI_PREMIUM_S3_REGION),
      credentials: { accessKeyId: String(env.ROTKI_PREMIUM_S3_ACCESS_KEY_ID), secretAccessKey: String(env.ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY) },
      forcePathStyle: true,
    });
    const lines: string[] = [];
    let failed = false;
    try {
      // The copy fails right after the backups went into the bucket, before any row is written.
      const failing = copySqliteToPostgres({
        source: join(storage.dataDir, 'rotki-premium.sqlite'),
        target: target.url,
        blobs: { from, to },
        progress: (line) => {
          lines.push(line);
          if (/^moved [1-9]/.test(line) && !failed) {
            failed = true;
            throw new Error('interrupted after the move');
          }
        },
      });
      await expect(failing).rejects.toThrow('interrupted after the move');
    } finally {
      await from.close();
      await to.close();
    }
    expect(lines).toContainEqual(expect.stringMatching(/^moved 1 blobs of \w+ to /));
    expect(lines).toContainEqual(expect.stringMatching(/^removed the 1 backups this copy had put into /));
    expect(await s3.listKeys('failed-copy')).toEqual([]);
    expect(await postgresRows(target.url, 'SELECT count(*)::int AS n FROM accounts')).toEqual([{ n: 0 }]);

    // The failed target holds the schema: the next copy goes into a new, empty database.
    const retry = await createScratchPostgres();
    targets.push(retry);
    const again = await copyInto(retry.url, ['--to-s3'], { ...env, ROTKI_PREMIUM_BLOB_STORE: 'file' });
    expect(again.code).toBe(0);
    expect(again.json).toMatchObject({ matches: true, blobs_moved: 1 });
    expect(await s3.listKeys('failed-copy')).toHaveLength(1);
  });
});
