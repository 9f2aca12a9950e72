import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { openLocalApp, type LocalApp } from './support.ts';

/**
 * Compare-and-swap between two devices (issue 9): two app instances against
 * one real server process, on SQLite and on PostgreSQL. An upload names the
 * backup its data was last synced from; the server refuses it when another
 * device uploaded since, and only an explicit force replaces that backup.
 */
const PASSWORD = 'shared password';

interface CurrentBackup {
  data_hash: string;
  uploaded_by: string | null;
  device_name: string | null;
  upload_ts: number;
  data_size: number;
}

for (const dialect of DIALECTS) {
  describe(`two devices that both edited offline (${dialect})`, { timeout: 120_000 }, () => {
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

    async function device(name: string, deviceName: string, subscriber: Subscriber): Promise<LocalApp> {
      const app = await openLocalApp(server.url, { deviceName });
      apps.push(app);
      expect((await app.call('PUT', '/api/1/users', { name, password: PASSWORD })).status).toBe(200);
      const setup = await app.call('PATCH', `/api/1/users/${name}`, {
        premium_api_key: subscriber.apiKey,
        premium_api_secret: subscriber.apiSecret,
      });
      expect(setup.status, setup.json.message).toBe(200);
      return app;
    }

    async function titles(app: LocalApp): Promise<string[]> {
      return ((await app.call('GET', '/api/1/notes')).json.result as { title: string }[]).map((n) => n.title);
    }

    /** The hash of the backup the server holds for the subscriber, '' for none. */
    async function serverHash(subscriber: Subscriber): Promise<string> {
      const row = await context.ctx.store.db
        .selectFrom('backups')
        .innerJoin('accounts', 'accounts.id', 'backups.account_id')
        .select('backups.sha256')
        .where('accounts.username', '=', subscriber.username)
        .executeTakeFirst();
      return row?.sha256 ?? '';
    }

    const upload = (app: LocalApp, force = false) => app.call('PUT', '/api/1/premium/sync', { action: 'upload', ...(force ? { force } : {}) });

    it('refuses the second upload with who uploaded and when, keeps both sides, and a forced push replaces', async () => {
      const subscriber = await context.createSubscriber('Basic');
      // Distinct local user names: each app in this process is then a device of its own.
      const laptop = await device('ann', 'Work laptop', subscriber);
      const desktop = await device('ann2', 'Home desktop', subscriber);

      await laptop.call('PUT', '/api/1/notes', { title: 'shared', content: 'before going offline' });
      expect((await upload(laptop)).json.result).toBe(true);
      const download = await desktop.call('PUT', '/api/1/premium/sync', { action: 'download' });
      expect(download.json.result, download.json.message).toBe(true);

      // Both edit offline, from the same synced state.
      await laptop.call('PUT', '/api/1/notes', { title: 'laptop edit', content: '' });
      await desktop.call('PUT', '/api/1/notes', { title: 'desktop edit', content: '' });

      const first = await upload(laptop);
      expect(first.status, first.json.message).toBe(200);
      const laptopHash = await serverHash(subscriber);

      const second = await upload(desktop);
      expect(second.status).toBe(409);
      expect(second.json.error).toBe('sync_conflict');
      expect(second.json.message).toMatch(
        /^Not uploaded: the rotki server holds a backup this device has not synced, from Work laptop \(Linux\), uploaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((just now|\d+ seconds? ago)\), [\d.,]+ (bytes|KiB)\. Uploading would replace it and lose the changes made there\. Nothing was replaced\./,
      );
      const current = second.json.current as CurrentBackup;
      expect(current).toMatchObject({ data_hash: laptopHash, device_name: 'Work laptop', uploaded_by: 'Work laptop (Linux)' });
      expect(await serverHash(subscriber)).toBe(laptopHash);
      expect(await titles(desktop)).toEqual(['shared', 'desktop edit']);

      // Asking again changes nothing: the refusal holds until the user decides.
      expect((await upload(desktop)).status).toBe(409);

      const forced = await upload(desktop, true);
      expect(forced.status, forced.json.message).toBe(200);
      expect(forced.json.message).toMatch(/^Backup uploaded, replacing the one on the server: /);
      expect(await serverHash(subscriber)).not.toBe(laptopHash);

      // Now the laptop is the one behind: its next upload is refused, naming the desktop.
      await laptop.call('PUT', '/api/1/notes', { title: 'laptop again', content: '' });
      const behind = await upload(laptop);
      expect(behind.status).toBe(409);
      expect(behind.json.message).toContain('from Home desktop (Linux)');

      // Downloading makes the laptop's data the server's, and the upload after it goes through.
      expect((await laptop.call('PUT', '/api/1/premium/sync', { action: 'download' })).json.result).toBe(true);
      expect(await titles(laptop)).toEqual(['shared', 'desktop edit']);
      await laptop.call('PUT', '/api/1/notes', { title: 'after the pull', content: '' });
      const after = await upload(laptop);
      expect(after.status, after.json.message).toBe(200);
    });

    it('two uploads from the same base at the same moment: exactly one wins, the other is refused', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const one = await device('bea', 'Phone', subscriber);
      const two = await device('bea2', 'Tablet', subscriber);
      await one.call('PUT', '/api/1/notes', { title: 'base', content: '' });
      expect((await upload(one)).json.result).toBe(true);
      expect((await two.call('PUT', '/api/1/premium/sync', { action: 'download' })).json.result).toBe(true);
      await one.call('PUT', '/api/1/notes', { title: 'one', content: '' });
      await two.call('PUT', '/api/1/notes', { title: 'two', content: '' });

      const answers = await Promise.all([upload(one), upload(two)]);
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.json))).toEqual([200, 409]);
      // The loser either came second (the server's backup is no longer its base) or was overtaken by
      // the winner's upload while its own ran (the server keeps one upload per account); either way
      // nothing of it was stored, and trying again now meets the winner's backup.
      const loserIndex = answers.findIndex((a) => a.status === 409);
      expect(['sync_conflict', 'sync_in_progress']).toContain(answers[loserIndex]?.json.error);
      const again = await upload(loserIndex === 0 ? one : two);
      expect(again.json.error).toBe('sync_conflict');
      expect(again.json.message).toContain(`from ${loserIndex === 0 ? 'Tablet' : 'Phone'} (Linux)`);
    });

    it('a device that never synced does not replace the backup of another', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const first = await device('cal', 'Work laptop', subscriber);
      await first.call('PUT', '/api/1/notes', { title: 'precious', content: '' });
      expect((await upload(first)).json.result).toBe(true);
      const hash = await serverHash(subscriber);

      const fresh = await device('cal2', 'New computer', subscriber);
      const refused = await upload(fresh);
      expect(refused.status).toBe(409);
      expect(refused.json.message).toContain('from Work laptop (Linux)');
      expect(await serverHash(subscriber)).toBe(hash);
    });

    it('the automatic upload never forces: it skips and says why', async () => {
      const subscriber = await context.createSubscriber('Basic');
      let now = Date.now();
      const laptop = await device('dan', 'Work laptop', subscriber);
      const desktop = await openLocalApp(server.url, { deviceName: 'Home desktop', now: () => now });
      apps.push(desktop);
      await desktop.call('PUT', '/api/1/users', { name: 'dan2', password: PASSWORD });
      await desktop.call('PATCH', '/api/1/users/dan2', { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
      await desktop.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });

      await laptop.call('PUT', '/api/1/notes', { title: 'laptop', content: '' });
      expect((await upload(laptop)).json.result).toBe(true);
      const hash = await serverHash(subscriber);

      // The desktop's later edit is newer than the laptop's backup, but was not made on top of it.
      now += 120_000;
      await desktop.call('PUT', '/api/1/notes', { title: 'desktop', content: '' });
      await desktop.core.tick();
      const status = (await desktop.call('GET', '/api/1/premium/status')).json.result as { last_sync: { result: boolean; message: string } };
      expect(status.last_sync.result).toBe(false);
      expect(status.last_sync.message).toMatch(/^Automatic upload skipped: the rotki server holds a backup this device has not synced, from Work laptop \(Linux\), /);
      expect(await serverHash(subscriber)).toBe(hash);
    });
  });
}
