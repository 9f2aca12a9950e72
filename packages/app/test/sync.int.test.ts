import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { openLocalApp, type LocalApp } from './support.ts';

const PASSWORD = 'shared password';

let server: ServerHandle;
let context: ServerContext;
const apps: LocalApp[] = [];

beforeAll(async () => {
  server = await startServer({ dialect: 'sqlite' });
  context = await openServerContext(server);
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await context?.close();
  await server?.stop();
});

async function premiumApp(name: string, subscriber: Subscriber, options: { password?: string; now?: () => number } = {}): Promise<LocalApp> {
  const app = await openLocalApp(server.url, options.now === undefined ? {} : { now: options.now });
  apps.push(app);
  expect((await app.call('PUT', '/api/1/users', { name, password: options.password ?? PASSWORD })).status).toBe(200);
  const setup = await app.call('PATCH', `/api/1/users/${name}`, {
    premium_api_key: subscriber.apiKey,
    premium_api_secret: subscriber.apiSecret,
  });
  expect(setup.status, setup.json.message).toBe(200);
  return app;
}

async function notes(app: LocalApp): Promise<{ title: string; content: string }[]> {
  const list = (await app.call('GET', '/api/1/notes')).json.result as { title: string; content: string }[];
  return list.map(({ title, content }) => ({ title, content }));
}

describe('sync of the user database', () => {
  it('uploads on one device and downloads equal data on another, keeping the replaced database', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const first = await premiumApp('sam', subscriber);
    const second = await premiumApp('sam2', subscriber);

    const none = await second.call('PUT', '/api/1/premium/sync', { action: 'download' });
    expect(none.status).toBe(200);
    expect(none.json).toMatchObject({ result: false, message: 'No data found' });

    await first.call('PUT', '/api/1/notes', { title: 'Wallets', content: 'cold storage in the safe' });
    await first.call('PUT', '/api/1/notes', { title: 'Taxes', content: 'file before May ✓' });
    await first.call('PUT', '/api/1/accounts', { chain: 'eth', address: '0xabc', label: 'main' });
    const upload = await first.call('PUT', '/api/1/premium/sync', { action: 'upload' });
    expect(upload.status, upload.json.message).toBe(200);
    expect(upload.json.result).toBe(true);
    expect(upload.json.message).toMatch(/^Backup uploaded: [\d.,]+ (bytes|KiB|MiB) in 1 chunk\.$/);

    await second.call('PUT', '/api/1/notes', { title: 'local only', content: 'replaced by the download' });
    const download = await second.call('PUT', '/api/1/premium/sync', { action: 'download' });
    expect(download.status, download.json.message).toBe(200);
    expect(download.json.result).toBe(true);
    expect(await notes(second)).toEqual(await notes(first));
    expect((await second.call('GET', '/api/1/accounts')).json.result).toMatchObject([{ chain: 'eth', address: '0xabc', label: 'main' }]);
    const kept = readdirSync(join(second.dataDir, 'users', 'sam2', 'backups'));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^user_db_\d{8}T\d{6}Z\.backup$/);

    // The second device keeps its own premium session and credentials after the swap.
    expect((await second.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });
    await second.call('PATCH', '/api/1/users/sam2', { action: 'logout' });
    const again = await second.call('POST', '/api/1/users/sam2', { password: PASSWORD });
    expect(again.status).toBe(200);
    expect((again.json.result as { premium: { premium_active: boolean } }).premium.premium_active).toBe(true);
    expect(await notes(second)).toEqual(await notes(first));
  });

  it('says so when the password does not open the remote backup, and changes nothing', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const first = await premiumApp('tom', subscriber);
    await first.call('PUT', '/api/1/notes', { title: 'secret', content: 'x' });
    expect((await first.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);

    const other = await premiumApp('tom2', subscriber, { password: 'another password' });
    await other.call('PUT', '/api/1/notes', { title: 'mine', content: 'stays' });
    const download = await other.call('PUT', '/api/1/premium/sync', { action: 'download' });
    expect(download.status).toBe(401);
    expect(download.json.error).toBe('remote_password_mismatch');
    expect(download.json.message).toMatch(/^The given password can not unlock the database that was retrieved from the server/);
    expect(await notes(other)).toEqual([{ title: 'mine', content: 'stays' }]);
    expect(existsSync(join(other.dataDir, 'users', 'tom2', 'backups'))).toBe(false);
  });

  it('asks at login when the switch is on and the remote backup is newer; yes pulls, no keeps', async () => {
    const subscriber = await context.createSubscriber('Basic');
    // The first device's clock runs a minute ahead: what it writes is newer than anything on the second.
    const first = await premiumApp('uma', subscriber, { now: () => Date.now() + 60_000 });
    const second = await premiumApp('uma2', subscriber);
    await second.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });
    await second.call('PATCH', '/api/1/users/uma2', { action: 'logout' });

    await first.call('PUT', '/api/1/notes', { title: 'newer', content: 'from the first device' });
    expect((await first.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);

    const asked = await second.call('POST', '/api/1/users/uma2', { password: PASSWORD });
    expect(asked.status).toBe(300);
    expect(asked.json.message).toBe('Detected remote database more recent than local. ');
    expect(asked.json.result).toMatchObject({
      local_last_modified: expect.any(Number),
      remote_last_modified: expect.any(Number),
      local_size: expect.any(Number),
      remote_size: expect.any(Number),
    });
    expect((await second.call('GET', '/api/1/users')).json.result).toEqual({ uma2: 'loggedout' });

    const kept = await second.call('POST', '/api/1/users/uma2', { password: PASSWORD, sync_approval: 'no' });
    expect(kept.status).toBe(200);
    expect(await notes(second)).toEqual([]);
    await second.call('PATCH', '/api/1/users/uma2', { action: 'logout' });

    const pulled = await second.call('POST', '/api/1/users/uma2', { password: PASSWORD, sync_approval: 'yes' });
    expect(pulled.status, pulled.json.message).toBe(200);
    expect(await notes(second)).toEqual([{ title: 'newer', content: 'from the first device' }]);
  });

  it('a new user created with premium keys pulls the remote backup; rejected keys create no user', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const first = await premiumApp('xia', subscriber);
    await first.call('PUT', '/api/1/notes', { title: 'carried over', content: 'to the new user' });
    expect((await first.call('PUT', '/api/1/premium/sync', { action: 'upload' })).json.result).toBe(true);

    const fresh = await openLocalApp(server.url);
    apps.push(fresh);
    const refused = await fresh.call('PUT', '/api/1/users', {
      name: 'xia',
      password: PASSWORD,
      premium_api_key: subscriber.apiKey,
      premium_api_secret: Buffer.alloc(57, 3).toString('base64'),
    });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/^Could not verify keys for the new account\. rotki API key was rejected by server: /);
    expect((await fresh.call('GET', '/api/1/users')).json.result).toEqual({});

    const created = await fresh.call('PUT', '/api/1/users', {
      name: 'xia',
      password: PASSWORD,
      premium_api_key: subscriber.apiKey,
      premium_api_secret: subscriber.apiSecret,
    });
    expect(created.status, created.json.message).toBe(200);
    expect(await notes(fresh)).toEqual([{ title: 'carried over', content: 'to the new user' }]);
    expect((await fresh.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });
  });

  it('refuses to upload on a plan without backup', async () => {
    const subscriber = await context.createSubscriber('Supporter');
    const app = await premiumApp('vic', subscriber);
    const upload = await app.call('PUT', '/api/1/premium/sync', { action: 'upload' });
    expect(upload.status).toBe(409);
    expect(upload.json.message).toBe('Upload failed. Your Supporter plan does not include a backup on the rotki server.');
  });

  it('uploads automatically at most once an hour while the switch is on', async () => {
    const subscriber = await context.createSubscriber('Basic');
    let now = Date.now();
    const app = await premiumApp('wes', subscriber, { now: () => now });
    await app.call('PUT', '/api/1/notes', { title: 'auto', content: 'uploaded by the scheduler' });

    await app.core.tick();
    expect((await app.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ last_sync: null });

    await app.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });
    await app.core.tick();
    const first = (await app.call('GET', '/api/1/premium/status')).json.result as { last_sync: { result: boolean; message: string } };
    expect(first.last_sync).toMatchObject({ action: 'upload', result: true });
    const metadata = await context.ctx.store.db.selectFrom('backups').selectAll().execute();
    expect(metadata.length).toBeGreaterThan(0);

    // Within the hour nothing more is tried, even after a change.
    now += 10 * 60_000;
    await app.call('PUT', '/api/1/notes', { title: 'later', content: 'x' });
    await app.core.tick();
    expect(((await app.call('GET', '/api/1/premium/status')).json.result as { last_sync: unknown }).last_sync).toEqual(first.last_sync);

    // After the hour the change goes up.
    now += 60 * 60_000;
    await app.call('PUT', '/api/1/notes', { title: 'after the hour', content: 'y' });
    await app.core.tick();
    const second = (await app.call('GET', '/api/1/premium/status')).json.result as { last_sync: { result: boolean } };
    expect(second.last_sync.result).toBe(true);
    expect(second.last_sync).not.toEqual(first.last_sync);
  });
});
