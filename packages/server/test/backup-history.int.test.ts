import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupErrorCode } from '@rotki-premium/protocol';
import { BackupBaseMismatchError, PremiumClient, uploadBackup } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackupVersions, restoreBackupVersion } from '../src/domain/backup-history.ts';
import { DIALECTS } from '../../../test-support/databases.ts';
import { BLOB_STORES, startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { getBackup, postChunk, sha256Base64, uploadAsRotki, type ChunkFields } from './support/backup-wire.ts';
import { call, ENDPOINTS, USER_AGENT } from './support/rotki-app.ts';

/**
 * Backup history and compare-and-swap (issue 9) against the real server
 * process, on every database × blob store.
 */
const COMBINATIONS = DIALECTS.flatMap((dialect) => BLOB_STORES.map((store) => [dialect, store] as const));

let s3: S3Server | null = null;
const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-history-'));

beforeAll(async () => {
  if (BLOB_STORES.includes('s3')) s3 = await startS3Server();
}, 120_000);
afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface ListedVersion {
  version: string;
  current: boolean;
  size: number;
  sha256: string;
  last_modify_ts: number;
  device_name: string | null;
  device_platform: string | null;
  user_agent: string | null;
  uploaded_by: string;
}

for (const [dialect, store] of COMBINATIONS) {
  // Generous per test: each CLI call starts a process, and the machine may be loaded.
  describe(`backup history (${dialect}, ${store} store)`, { timeout: 300_000 }, () => {
    let server: ServerHandle;
    let admin: ServerContext;
    let cleanup: () => Promise<void>;
    const bucket = `hist-${dialect}-${randomBytes(3).toString('hex')}`;
    let files = 0;

    beforeAll(async () => {
      const storage = await createTestStorage(dialect);
      let env: NodeJS.ProcessEnv = {};
      if (store === 's3') {
        if (s3 === null) throw new Error('S3 server not started');
        await s3.createBucket(bucket);
        env = s3.envFor(bucket);
      }
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
      admin = await openServerContext(server);
      cleanup = () => storage.cleanup();
    }, 120_000);
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await cleanup?.();
    });

    /** Our client on a registered device named `name`. */
    async function device(who: Subscriber, name: string, platform = 'linux'): Promise<PremiumClient> {
      const client = new PremiumClient({
        baseUrl: server.url,
        apiKey: who.apiKey,
        apiSecret: who.apiSecret,
        deviceIdentifier: `${name}-${randomBytes(8).toString('hex')}`,
      });
      expect(await client.registerDevice({ name, platform })).toBe('registered');
      return client;
    }

    function file(data: Buffer): string {
      files += 1;
      const path = join(scratch, `${dialect}-${store}-${files}.bin`);
      writeFileSync(path, data);
      return path;
    }

    /** Through the CLI, as the operator sees them. */
    async function listByCli(who: Subscriber): Promise<ListedVersion[]> {
      return (await server.admin(['admin', 'backups', 'list', '--username', who.username])).versions as ListedVersion[];
    }

    /** The same, read through the domain on the server's database (no CLI process per look). */
    async function list(who: Subscriber): Promise<ListedVersion[]> {
      const account = await admin.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
      return (await listBackupVersions(admin.ctx, Number(account.id))).map((v) => ({
        version: v.uploadId,
        current: v.current,
        size: v.size,
        sha256: v.sha256,
        last_modify_ts: v.lastModifyTs,
        device_name: v.deviceName,
        device_platform: v.devicePlatform,
        user_agent: v.userAgent,
        uploaded_by: v.uploadedBy,
      }));
    }

    async function metadata(who: Subscriber): Promise<Record<string, unknown>> {
      return (await call(server.url, who, ENDPOINTS.lastDataMetadata)).json as Record<string, unknown>;
    }

    it('keeps the tier\'s number of versions, newest first, each with who uploaded it; the newest is "the backup"', async () => {
      const who = await admin.createSubscriber('Basic'); // Basic keeps 3 versions
      const laptop = await device(who, 'Work laptop', 'linux');
      const datas = [randomBytes(3000), randomBytes(5000), randomBytes(4000), randomBytes(6000)];
      // Two uploads from our client (naming its device), then two from the rotki app (naming none).
      await uploadBackup(laptop.connection, file(datas[0]!), { lastModifyTs: 1_700_000_001 });
      await uploadBackup(laptop.connection, file(datas[1]!), { lastModifyTs: 1_700_000_002 });
      expect((await uploadAsRotki(server.url, who, datas[2]!, { chunkSize: 1500, lastModifyTs: 1_700_000_003 })).at(-1)?.status).toBe(200);
      expect((await uploadAsRotki(server.url, who, datas[3]!, { chunkSize: 1500, lastModifyTs: 1_700_000_004 })).at(-1)?.status).toBe(200);

      const versions = await listByCli(who);
      expect(versions.map((v) => [v.current, v.sha256, v.size, v.last_modify_ts])).toEqual([
        [true, sha256Base64(datas[3]!), 6000, 1_700_000_004],
        [false, sha256Base64(datas[2]!), 4000, 1_700_000_003],
        [false, sha256Base64(datas[1]!), 5000, 1_700_000_002],
      ]);
      expect(versions[0]).toMatchObject({ device_name: null, user_agent: USER_AGENT, uploaded_by: `a rotki app (${USER_AGENT})` });
      expect(versions[2]).toMatchObject({ device_name: 'Work laptop', device_platform: 'linux', uploaded_by: 'Work laptop (linux)' });
      expect(versions[2]?.user_agent).toMatch(/^rotki-premium-client\//);

      // The rotki-facing endpoints serve the newest version only, as before.
      expect(await metadata(who)).toMatchObject({ data_hash: sha256Base64(datas[3]!), data_size: 6000, last_modify_ts: 1_700_000_004 });
      expect((await getBackup(server.url, who)).bytes.equals(datas[3]!)).toBe(true);

      // The version pushed out of the history waits for removal after the grace period.
      const oldest = await admin.ctx.store.db
        .selectFrom('backup_uploads')
        .select(['state', 'file_hash'])
        .where('file_hash', '=', sha256Base64(datas[0]!))
        .executeTakeFirst();
      expect(oldest).toMatchObject({ state: 'discarded' });
    });

    it('a tier keeping one version keeps only the current backup; the quota applies to each version', async () => {
      const who = await admin.createSubscriber('Basic');
      await admin.ctx.store.db.updateTable('tiers').set({ backup_versions: 1 }).where('name', '=', 'Advanced').execute();
      const other = await admin.createSubscriber('Advanced');
      try {
        for (const size of [2000, 2500]) {
          expect((await uploadAsRotki(server.url, other, randomBytes(size), { chunkSize: 4096 })).at(-1)?.status).toBe(200);
        }
        expect((await list(other)).map((v) => v.size)).toEqual([2500]);
      } finally {
        await admin.ctx.store.db.updateTable('tiers').set({ backup_versions: 10 }).where('name', '=', 'Advanced').execute();
      }
      // 150 MiB per version on Basic: one larger upload is refused, the versions stay.
      expect((await uploadAsRotki(server.url, who, randomBytes(1000), { chunkSize: 4096 })).at(-1)?.status).toBe(200);
      const fields: ChunkFields = { fileHash: sha256Base64(Buffer.from('x')), lastModifyTs: 1, totalSize: 150 * 1_048_576 + 1 };
      expect((await postChunk(server.url, who, fields, [0, 0], Buffer.from('x'))).status).toBe(413);
      expect(await list(who)).toHaveLength(1);
    });

    it('compare-and-swap: an upload whose base is not the current backup is refused with 409 and the current metadata; forcing replaces it', async () => {
      const who = await admin.createSubscriber('Basic');
      const a = await device(who, 'Machine A', 'linux');
      const b = await device(who, 'Machine B', 'darwin');
      const first = randomBytes(3000);
      // A first upload from nothing names the empty base.
      const stored = await uploadBackup(a.connection, file(first), { lastModifyTs: 1_700_000_010, baseHash: '' });
      // B, which never synced, edits offline and tries to upload on the empty base: refused, A's backup kept.
      const refused = await uploadBackup(b.connection, file(randomBytes(2000)), { lastModifyTs: 1_700_000_011, baseHash: '' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BackupBaseMismatchError);
      const mismatch = refused as BackupBaseMismatchError;
      expect(mismatch.status).toBe(409);
      expect(mismatch.code).toBe(BackupErrorCode.BaseMismatch);
      expect(mismatch.current).toMatchObject({
        data_hash: stored.fileHash,
        data_size: 3000,
        last_modify_ts: 1_700_000_010,
        device_name: 'Machine A',
        device_platform: 'linux',
        uploaded_by: 'Machine A (linux)',
      });
      expect(await metadata(who)).toMatchObject({ data_hash: stored.fileHash });

      // A, whose base is current, uploads again; then B forces (no base) and replaces it.
      const second = await uploadBackup(a.connection, file(randomBytes(3500)), { lastModifyTs: 1_700_000_012, baseHash: stored.fileHash });
      const forced = await uploadBackup(b.connection, file(randomBytes(2500)), { lastModifyTs: 1_700_000_013 });
      expect(await metadata(who)).toMatchObject({ data_hash: forced.fileHash });
      // A's next upload on its old base is refused and names B.
      const stale = await uploadBackup(a.connection, file(randomBytes(100)), { lastModifyTs: 1_700_000_014, baseHash: second.fileHash }).catch((e: unknown) => e);
      expect((stale as BackupBaseMismatchError).current).toMatchObject({ data_hash: forced.fileHash, uploaded_by: 'Machine B (darwin)' });
      // The rotki app sends no base and keeps today's behaviour.
      expect((await uploadAsRotki(server.url, who, randomBytes(1200), { chunkSize: 4096 })).at(-1)?.status).toBe(200);
      expect((await list(who)).map((v) => v.uploaded_by)).toEqual([`a rotki app (${USER_AGENT})`, 'Machine B (darwin)', 'Machine A (linux)']);
    });

    it('compare-and-swap holds at the switch: a restore while an upload is under way refuses its last chunk', async () => {
      const who = await admin.createSubscriber('Basic');
      const account = await admin.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
      for (const size of [1000, 1100]) {
        expect((await uploadAsRotki(server.url, who, randomBytes(size), { chunkSize: 4096 })).at(-1)?.status).toBe(200);
      }
      const [current, earlier] = await list(who);
      const data = randomBytes(2000);
      const fields: ChunkFields = { fileHash: sha256Base64(data), lastModifyTs: 4, totalSize: 2000, baseHash: current!.sha256 };
      const first = await postChunk(server.url, who, fields, [0, 999], data.subarray(0, 1000));
      expect(first.status).toBe(206);
      fields.uploadId = String((first.json as { upload_id: string }).upload_id);
      // Meanwhile the subscriber restores the earlier version on the website.
      await restoreBackupVersion(admin.ctx, Number(account.id), earlier!.version);
      const last = await postChunk(server.url, who, fields, [1000, 1999], data.subarray(1000));
      expect(last.status).toBe(409);
      expect(last.json).toMatchObject({ code: BackupErrorCode.BaseMismatch, current: { data_hash: earlier!.sha256, data_size: 1000 } });
      expect(await metadata(who)).toMatchObject({ data_hash: earlier!.sha256 });
      // A malformed base is refused at the boundary.
      const bad = await postChunk(server.url, who, { fileHash: sha256Base64(data), lastModifyTs: 4, totalSize: 2000, baseHash: 'abc' }, [0, 999], data.subarray(0, 1000));
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ code: BackupErrorCode.InvalidChunk });
    });

    it('restoring an earlier version makes it the current backup with a new upload time, so apps see newer data', async () => {
      const who = await admin.createSubscriber('Basic');
      const account = await admin.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
      const older = randomBytes(2000);
      const newer = randomBytes(2200);
      expect((await uploadAsRotki(server.url, who, older, { chunkSize: 4096, lastModifyTs: 1_600_000_000 })).at(-1)?.status).toBe(200);
      expect((await uploadAsRotki(server.url, who, newer, { chunkSize: 4096, lastModifyTs: 1_650_000_000 })).at(-1)?.status).toBe(200);
      const before = await metadata(who);
      const earlier = (await list(who))[1]!;
      const restored = await server.admin(['admin', 'backups', 'restore', '--username', who.username, '--version', earlier.version]);
      expect(restored).toMatchObject({ restored: { current: true, sha256: sha256Base64(older) } });

      const after = await metadata(who);
      expect(after).toMatchObject({ data_hash: sha256Base64(older), data_size: 2000 });
      expect(Number(after.last_modify_ts)).toBeGreaterThan(1_650_000_000);
      expect(Number(after.upload_ts)).toBeGreaterThanOrEqual(Number(before.upload_ts));
      expect((await getBackup(server.url, who)).bytes.equals(older)).toBe(true);
      // The replaced version is in the history; the count did not grow.
      expect((await list(who)).map((v) => [v.current, v.sha256])).toEqual([
        [true, sha256Base64(older)],
        [false, sha256Base64(newer)],
      ]);
      const audit = await admin.ctx.store.db
        .selectFrom('audit_events')
        .select('action')
        .where('account_id', '=', Number(account.id))
        .where('action', '=', 'backup.restored')
        .execute();
      expect(audit).toHaveLength(1);
      // An unknown version is a clear error, not a crash.
      await expect(server.admin(['admin', 'backups', 'restore', '--username', who.username, '--version', 'nope'])).rejects.toThrow(/No earlier backup version/);
    });

    it('deleting every backup leaves nothing to download, and is audited', async () => {
      const who = await admin.createSubscriber('Basic');
      for (let i = 0; i < 2; i += 1) {
        expect((await uploadAsRotki(server.url, who, randomBytes(1000 + i), { chunkSize: 4096 })).at(-1)?.status).toBe(200);
      }
      await expect(server.admin(['admin', 'backups', 'delete', '--username', who.username])).rejects.toThrow(/--yes/);
      expect(await server.admin(['admin', 'backups', 'delete', '--username', who.username, '--yes'])).toMatchObject({ deleted: 2 });
      expect(await metadata(who)).toEqual({ upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 });
      expect((await getBackup(server.url, who)).status).toBe(404);
      expect(await listByCli(who)).toEqual([]);
      const discarded = await admin.ctx.store.db
        .selectFrom('backup_uploads')
        .innerJoin('accounts', 'accounts.id', 'backup_uploads.account_id')
        .select('backup_uploads.state')
        .where('accounts.username', '=', who.username)
        .execute();
      expect(discarded.map((r) => r.state)).toEqual(['discarded', 'discarded']);
    });
  });
}
