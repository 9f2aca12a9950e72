import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { openLocalApp, type LocalApp } from './support.ts';

/**
 * Issue 9, items 5 and 7, against a real server process: the plain Sync
 * uploads only what changed, a forced pull keeps the replaced local data
 * (edits included) as a file and says where, Cancel really stops an upload,
 * and an automatic sync failing for more than a day is reported.
 */
const PASSWORD = 'shared password';
const DAY = 24 * 60 * 60;

interface Status {
  pending_changes: boolean;
  remote: { data_hash: string; uploaded_by: string | null } | null;
  auto_sync_failing_since: number;
  auto_sync_error: string | null;
  auto_sync_failing_long: boolean;
  backups_dir: string;
}

for (const dialect of DIALECTS) {
  describe(`sync with consent and visible status (${dialect})`, { timeout: 180_000 }, () => {
    let server: ServerHandle;
    let context: ServerContext;
    let cleanup: () => Promise<void>;
    const apps: LocalApp[] = [];

    beforeAll(async () => {
      const storage = await createTestStorage(dialect);
      cleanup = storage.cleanup;
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      context = await openServerContext(server);
    }, 120_000);

    afterAll(async () => {
      for (const app of apps) await app.close();
      await context?.close();
      await server?.stop();
      await cleanup?.();
    });

    async function device(name: string, deviceName: string, subscriber: Subscriber, now?: () => number): Promise<LocalApp> {
      const app = await openLocalApp(server.url, { deviceName, ...(now === undefined ? {} : { now }) });
      apps.push(app);
      expect((await app.call('PUT', '/api/1/users', { name, password: PASSWORD })).status).toBe(200);
      const setup = await app.call('PATCH', `/api/1/users/${name}`, { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
      expect(setup.status, setup.json.message).toBe(200);
      return app;
    }

    async function status(app: LocalApp): Promise<Status> {
      const answer = await app.call('GET', '/api/1/premium/sync?refresh=true');
      expect(answer.status, answer.json.message).toBe(200);
      return answer.json.result as Status;
    }

    const titles = async (app: LocalApp): Promise<string[]> =>
      ((await app.call('GET', '/api/1/notes')).json.result as { title: string }[]).map((n) => n.title).sort();

    it('a plain Sync uploads only when this device changed its data, and says so otherwise', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('ada', 'Work laptop', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'one', content: '' });
      const first = await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' });
      expect(first.json.result, first.json.message).toBe(true);
      const hash = (await status(laptop)).remote?.data_hash;

      const again = await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' });
      expect(again.status).toBe(200);
      expect(again.json.result).toBe(false);
      expect(again.json.message).toMatch(/^Nothing to upload: the backup on the rotki server is this device's data \(synced .+\), and nothing changed here since\.$/);
      expect((await status(laptop)).remote?.data_hash).toBe(hash);

      await laptop.call('PUT', '/api/1/notes', { title: 'two', content: '' });
      const changed = await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' });
      expect(changed.json.result, changed.json.message).toBe(true);
      expect((await status(laptop)).remote?.data_hash).not.toBe(hash);
    });

    it('a forced pull over local edits keeps them in the file it names, and the next plain Sync is in step', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('bea', 'Work laptop', subscriber);
      const desk = await device('bea', 'Desk', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'from the laptop', content: '' });
      expect((await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);

      await desk.call('PUT', '/api/1/notes', { title: 'desk edit, never uploaded', content: 'only here' });
      const before = await status(desk);
      expect(before.pending_changes).toBe(true);

      const pull = await desk.call('PUT', '/api/1/premium/sync', { action: 'download', force: true });
      expect(pull.status, pull.json.message).toBe(200);
      expect(pull.json.result).toBe(true);
      const kept = /kept as (.+)\.$/.exec(pull.json.message)?.[1];
      expect(kept, pull.json.message).toBeDefined();
      expect(kept?.startsWith(before.backups_dir)).toBe(true);
      expect(existsSync(kept as string)).toBe(true);
      expect(await titles(desk)).toEqual(['from the laptop']);

      // The replaced data, edits included, is in the kept file (a plain SQLite database of this app).
      const file = new Database(kept as string, { readonly: true });
      try {
        const keptTitles = (file.prepare('SELECT title FROM notes ORDER BY title').all() as { title: string }[]).map((r) => r.title);
        expect(keptTitles).toEqual(['desk edit, never uploaded']);
      } finally {
        file.close();
      }
      expect((await status(desk)).pending_changes).toBe(false);
      const plain = await desk.call('PUT', '/api/1/premium/sync', { action: 'upload' });
      expect(plain.json.result).toBe(false);
      expect(plain.json.message).toMatch(/^Nothing to upload/);
    });

    it('Cancel during an upload stops the transfer: the server keeps its backup, the device its state, the status says cancelled', async () => {
      const subscriber = await context.createSubscriber('Advanced');
      const laptop = await device('cy', 'Work laptop', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'small', content: '' });
      expect((await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);
      const before = await status(laptop);

      // Incompressible data above one 10 MB chunk, so the upload has a second chunk to never send.
      const insert = laptop.core.userDb().prepare('INSERT INTO notes (title, content, created_at, updated_at) VALUES (?, ?, 1, 1)');
      for (let i = 0; i < 3; i += 1) insert.run(`bulk ${i}`, randomBytes(4_500_000).toString('base64'));
      await laptop.call('PUT', '/api/1/notes', { title: 'newest', content: '' });

      const phases: string[] = [];
      let cancelAnswer: { status: number; json: { result: unknown } } | null = null;
      const upload = laptop.core.sync('upload', (p) => {
        phases.push(`${p.phase} ${p.chunk}/${p.total_chunks}`);
        if (p.phase === 'uploading' && p.chunk === 1 && p.total_chunks > 1 && cancelAnswer === null) {
          cancelAnswer = { status: 0, json: { result: null } };
          void laptop.call('POST', '/api/1/premium/sync/cancel').then((answer) => {
            cancelAnswer = answer;
          });
        }
      });
      await expect(upload).rejects.toMatchObject({ kind: 'sync_cancelled' });
      expect(phases.some((p) => /^uploading 1\/[2-9]$/.test(p)), phases.join(', ')).toBe(true);
      expect(phases.some((p) => p.startsWith('uploading 2/'))).toBe(false);
      expect(cancelAnswer).toMatchObject({ status: 200, json: { result: true } });

      const after = await status(laptop);
      expect(after.remote?.data_hash).toBe(before.remote?.data_hash);
      expect(after.pending_changes).toBe(true);
      const premium = (await laptop.call('GET', '/api/1/premium/status')).json.result as { sync: unknown; last_sync: { message: string; cancelled?: boolean } };
      expect(premium.sync).toBeNull();
      expect(premium.last_sync).toMatchObject({ cancelled: true });
      expect(premium.last_sync.message).toMatch(/^Upload cancelled\. Nothing was replaced on the rotki server/);

      // Nothing to cancel now; a new upload goes through.
      expect((await laptop.call('POST', '/api/1/premium/sync/cancel')).json.result).toBe(false);
      const retry = await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload' });
      expect(retry.json.result, retry.json.message).toBe(true);
      expect(retry.json.message).toMatch(/in 2 chunks\.$/);
    });

    it('an automatic sync that keeps failing for more than a day is reported until a sync works', async () => {
      let clock = Date.now();
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('dee', 'Work laptop', subscriber, () => clock);
      const desk = await device('dee', 'Desk', subscriber);
      expect((await laptop.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } })).status).toBe(200);
      await desk.call('PUT', '/api/1/notes', { title: 'desk', content: '' });
      expect((await desk.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);
      // The laptop edits too: its automatic upload now meets a backup it has not synced, and never forces.
      clock += 10_000;
      await laptop.call('PUT', '/api/1/notes', { title: 'laptop', content: '' });

      clock += 2 * 3600_000;
      await laptop.core.tick();
      const first = await status(laptop);
      expect(first.auto_sync_failing_since).toBe(Math.floor(clock / 1000));
      expect(first.auto_sync_error).toMatch(/skipped/);
      expect(first.auto_sync_failing_long).toBe(false);

      clock += DAY * 1000 + 60_000;
      await laptop.core.tick();
      const later = await status(laptop);
      expect(later.auto_sync_failing_since).toBe(first.auto_sync_failing_since);
      expect(later.auto_sync_failing_long).toBe(true);

      const forced = await laptop.call('PUT', '/api/1/premium/sync', { action: 'upload', force: true });
      expect(forced.json.result, forced.json.message).toBe(true);
      const fixed = await status(laptop);
      expect(fixed.auto_sync_failing_since).toBe(0);
      expect(fixed.auto_sync_failing_long).toBe(false);
    });
  });
}
