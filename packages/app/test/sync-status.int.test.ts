import { PremiumClient } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { openLocalApp, type LocalApp } from './support.ts';

/**
 * What a device knows of the server's backup (issue 9), against a real server
 * process on SQLite and PostgreSQL: the signed history call, the restore
 * offer on a new device, stale and pending states, and the login question
 * that names the device and the time.
 */
const PASSWORD = 'shared password';

interface Status {
  last_synced_at: number;
  last_sync_action: string | null;
  pending_changes: boolean;
  local_empty: boolean;
  remote: { uploaded_by: string | null; data_size: number; upload_ts: number; data_hash: string } | null;
  stale: boolean;
  restore_offer: boolean;
}

for (const dialect of DIALECTS) {
  describe(`the sync state of a device (${dialect})`, { timeout: 120_000 }, () => {
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
      const setup = await app.call('PATCH', `/api/1/users/${name}`, { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
      expect(setup.status, setup.json.message).toBe(200);
      return app;
    }

    async function status(app: LocalApp, refresh = false): Promise<Status> {
      const answer = await app.call('GET', `/api/1/premium/sync${refresh ? '?refresh=true' : ''}`);
      expect(answer.status, answer.json.message).toBe(200);
      return answer.json.result as Status;
    }

    const sync = async (app: LocalApp, action: 'upload' | 'download') => {
      const answer = await app.call('PUT', '/api/1/premium/sync', { action });
      expect(answer.json.result, answer.json.message).toBe(true);
    };

    it('the signed history call lists the current backup first, with who uploaded each version', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('eli', 'Work laptop', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'one', content: '' });
      await sync(laptop, 'upload');
      await laptop.call('PUT', '/api/1/notes', { title: 'two', content: '' });
      await sync(laptop, 'upload');

      // Naming no device: the history is the account's, whichever device asks.
      const client = new PremiumClient({ baseUrl: server.url, apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret, deviceIdentifier: null });
      const history = await client.backupHistory();
      expect(history.versions_kept).toBe(3);
      expect(history.versions).toHaveLength(2);
      expect(history.versions.map((v) => v.current)).toEqual([true, false]);
      expect(history.versions[0]).toMatchObject({ uploaded_by: 'Work laptop (Linux)', device_name: 'Work laptop' });
      expect(history.versions[0]!.upload_ts).toBeGreaterThanOrEqual(history.versions[1]!.upload_ts);
      expect((await status(laptop)).remote?.data_hash).toBe(history.versions[0]!.data_hash);
    });

    it('a new device with no data of its own is offered the server backup, then is in step; another upload makes it stale', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('fay', 'Work laptop', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'from the laptop', content: '' });
      await sync(laptop, 'upload');
      expect(await status(laptop)).toMatchObject({ stale: false, pending_changes: false, restore_offer: false, last_sync_action: 'upload' });

      const fresh = await device('fay2', 'New computer', subscriber);
      // Turning the sync switch on writes a setting: still no data of its own, still offered.
      await fresh.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });
      const offered = await status(fresh);
      expect(offered).toMatchObject({ restore_offer: true, stale: true, local_empty: true, pending_changes: false, last_synced_at: 0 });
      expect(offered.remote).toMatchObject({ uploaded_by: 'Work laptop (Linux)' });
      expect(offered.remote!.data_size).toBeGreaterThan(0);

      await sync(fresh, 'download');
      expect(await status(fresh)).toMatchObject({ restore_offer: false, stale: false, pending_changes: false, last_sync_action: 'download' });

      await fresh.call('PUT', '/api/1/notes', { title: 'new here', content: '' });
      expect(await status(fresh)).toMatchObject({ pending_changes: true, stale: false });

      await laptop.call('PUT', '/api/1/notes', { title: 'laptop again', content: '' });
      await sync(laptop, 'upload');
      expect((await status(fresh)).stale).toBe(false);
      expect(await status(fresh, true)).toMatchObject({ stale: true, pending_changes: true, restore_offer: false });
    });

    it('a device with data of its own is not offered a restore over it', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await device('gus', 'Work laptop', subscriber);
      await laptop.call('PUT', '/api/1/notes', { title: 'laptop', content: '' });
      await sync(laptop, 'upload');
      const other = await openLocalApp(server.url, { deviceName: 'Desktop' });
      apps.push(other);
      await other.call('PUT', '/api/1/users', { name: 'gus2', password: PASSWORD });
      await other.call('PUT', '/api/1/notes', { title: 'mine', content: '' });
      await other.call('PATCH', '/api/1/users/gus2', { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
      expect(await status(other)).toMatchObject({ restore_offer: false, stale: true, pending_changes: true, local_empty: false });
    });

    it('the login question names the device and the upload time, and is not asked when this device has that backup', async () => {
      const subscriber = await context.createSubscriber('Basic');
      const laptop = await openLocalApp(server.url, { deviceName: 'Work laptop', now: () => Date.now() + 60_000 });
      apps.push(laptop);
      await laptop.call('PUT', '/api/1/users', { name: 'hal', password: PASSWORD });
      await laptop.call('PATCH', '/api/1/users/hal', { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
      const desktop = await device('hal2', 'Desktop', subscriber);
      await desktop.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });
      await desktop.call('PATCH', '/api/1/users/hal2', { action: 'logout' });

      await laptop.call('PUT', '/api/1/notes', { title: 'newer', content: '' });
      await sync(laptop, 'upload');
      const asked = await desktop.call('POST', '/api/1/users/hal2', { password: PASSWORD });
      expect(asked.status).toBe(300);
      expect(asked.json.result).toMatchObject({ remote_uploaded_by: 'Work laptop (Linux)', remote_upload_ts: expect.any(Number), local_last_synced: 0 });

      const pulled = await desktop.call('POST', '/api/1/users/hal2', { password: PASSWORD, sync_approval: 'yes' });
      expect(pulled.status, pulled.json.message).toBe(200);
      await desktop.call('PATCH', '/api/1/users/hal2', { action: 'logout' });
      // This device now has exactly the server's backup: no question, whatever the clocks say.
      const again = await desktop.call('POST', '/api/1/users/hal2', { password: PASSWORD });
      expect(again.status, again.json.message).toBe(200);
    });
  });
}
