import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { expireSubscription } from '../../server/src/domain/subscriptions.ts';
import { regenerateCredentials } from '../../server/src/domain/credentials.ts';
import { requireAccount } from '../../server/src/domain/accounts.ts';
import { openLocalApp, UNREACHABLE_SERVER, type LocalApp } from './support.ts';

const PASSWORD = 'local password 1';

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

async function appWithUser(name: string, serverUrl = server.url): Promise<LocalApp> {
  const app = await openLocalApp(serverUrl);
  apps.push(app);
  const created = await app.call('PUT', '/api/1/users', { name, password: PASSWORD });
  expect(created.status).toBe(200);
  return app;
}

async function setup(app: LocalApp, name: string, subscriber: Pick<Subscriber, 'apiKey' | 'apiSecret'>) {
  return app.call('PATCH', `/api/1/users/${name}`, { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });
}

describe('local users', () => {
  it('creates, logs out and logs in again; a wrong password is refused', async () => {
    const app = await appWithUser('alice');
    expect((await app.call('GET', '/api/1/users')).json.result).toEqual({ alice: 'loggedin' });
    expect((await app.call('PATCH', '/api/1/users/alice', { action: 'logout' })).status).toBe(200);
    expect((await app.call('GET', '/api/1/users')).json.result).toEqual({ alice: 'loggedout' });
    const wrong = await app.call('POST', '/api/1/users/alice', { password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toBe('Wrong password for this user');
    expect((await app.call('POST', '/api/1/users/alice', { password: PASSWORD })).status).toBe(200);
  });

  it('refuses a second user with the same name and bad names', async () => {
    const app = await appWithUser('bob');
    await app.call('PATCH', '/api/1/users/bob', { action: 'logout' });
    expect((await app.call('PUT', '/api/1/users', { name: 'bob', password: 'x' })).status).toBe(409);
    expect((await app.call('PUT', '/api/1/users', { name: '../evil', password: 'x' })).status).toBe(400);
    expect((await app.call('PUT', '/api/1/users', { name: 'carol', password: '' })).status).toBe(400);
  });

  it('keeps settings with premium_should_sync off by default', async () => {
    const app = await appWithUser('dora');
    expect((await app.call('GET', '/api/1/settings')).json.result).toMatchObject({ premium_should_sync: false });
    const updated = await app.call('PUT', '/api/1/settings', { settings: { premium_should_sync: true } });
    expect(updated.json.result).toMatchObject({ premium_should_sync: true });
    expect((await app.call('PUT', '/api/1/settings', { settings: { unknown: 1 } })).status).toBe(400);
  });

  it('refuses requests from other sites and other host names', async () => {
    const app = await appWithUser('erin');
    const foreign = await app.http.inject({ method: 'GET', url: '/api/1/users', headers: { host: '127.0.0.1:4242', origin: 'https://evil.example' } });
    expect(foreign.statusCode).toBe(403);
    const rebound = await app.http.inject({ method: 'GET', url: '/api/1/users', headers: { host: 'evil.example:4242' } });
    expect(rebound.statusCode).toBe(403);
    const formPost = await app.http.inject({
      method: 'POST',
      url: '/api/1/users/erin',
      headers: { host: '127.0.0.1:4242', 'content-type': 'text/plain' },
      payload: '{"password":"x"}',
    });
    expect(formPost.statusCode).toBe(415);
  });

  it('refuses to be framed by another site, on the API and on the page', async () => {
    const app = await appWithUser('fran');
    for (const url of ['/', '/api/1/users', '/api/1/premium/status', '/no-such-page']) {
      const response = await app.http.inject({ method: 'GET', url, headers: { host: '127.0.0.1:4242' } });
      expect(response.headers['x-frame-options']).toBe('DENY');
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("default-src 'self'");
    }
  });

  it('refuses control characters in user names and device calls with 400', async () => {
    const app = await appWithUser('gina');
    expect((await app.call('PUT', '/api/1/users', { name: 'evil\u001b]0;x\u0007', password: 'x' })).status).toBe(400);
    expect((await app.call('PATCH', '/api/1/premium/devices', { device_identifier: 'ab\u0000', device_name: 'x' })).status).toBe(400);
    expect((await app.call('PATCH', '/api/1/premium/devices', { device_identifier: 'ab', device_name: '\u200b' })).status).toBe(400);
  });
});

describe('premium activation', () => {
  it('checks the key and secret before any network call, saying which is damaged', async () => {
    const app = await appWithUser('frank', UNREACHABLE_SERVER);
    const answer = await app.call('PATCH', '/api/1/users/frank', { premium_api_key: 'rpk_x', premium_api_secret: 'not base64!' });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_credentials_format');
    expect(answer.json.message).toMatch(/^The API key and the API secret are both damaged/);
  });

  it('says when the server cannot be reached', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const app = await appWithUser('gina', UNREACHABLE_SERVER);
    const answer = await setup(app, 'gina', subscriber);
    expect(answer.status).toBe(502);
    expect(answer.json.error).toBe('server_unreachable');
    expect(answer.json.message).toMatch(/^Could not reach the rotki server to verify premium keys\./);
  });

  it('activates, shows plan, devices and capabilities, and stores the pair encrypted', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const app = await appWithUser('hank');
    const bad = await setup(app, 'hank', { apiKey: subscriber.apiKey, apiSecret: Buffer.alloc(57, 1).toString('base64') });
    expect(bad.status).toBe(403);
    expect(bad.json.error).toBe('key_rejected');
    expect(bad.json.message).toMatch(/^rotki API key was rejected by server: /);

    const answer = await setup(app, 'hank', subscriber);
    expect(answer.status).toBe(200);
    expect(answer.json.message).toBe('rotki Premium is active');
    const status = (await app.call('GET', '/api/1/premium/status')).json.result as Record<string, unknown>;
    expect(status).toMatchObject({ premium_active: true, plan: 'Basic', has_credentials: true, limit_of_devices: 2 });
    expect(status.devices_url).toBe(`${server.url}/home/devices`);

    const devices = (await app.call('GET', '/api/1/premium/devices')).json.result as {
      devices: { device_identifier: string; stale: boolean }[];
      limit: number;
      current_device_id: string;
      stale_after_days: number | null;
      replacements: unknown[];
    };
    expect(devices.limit).toBe(2);
    // The server's stale marks (issue 9): a device just registered is not stale; nothing was replaced.
    expect(devices).toMatchObject({ stale_after_days: 90, replacements: [] });
    expect(devices.devices.map((d) => d.stale)).toEqual([false]);
    expect(devices.devices.map((d) => d.device_identifier)).toEqual([devices.current_device_id]);

    const own = await app.call('DELETE', '/api/1/premium/devices', { device_identifier: devices.current_device_id });
    expect(own.status).toBe(409);
    expect(own.json.message).toBe('Cannot delete the current device');
    expect((await app.call('PATCH', '/api/1/premium/devices', { device_identifier: devices.current_device_id, device_name: '  Work laptop ' })).status).toBe(200);
    expect((await app.call('PATCH', '/api/1/premium/devices', { device_identifier: devices.current_device_id, device_name: '   ' })).status).toBe(400);
    // A device the server does not know is the user's mistake, not a server failure: 404, not 502.
    const unknown = await app.call('PATCH', '/api/1/premium/devices', { device_identifier: 'f'.repeat(64), device_name: 'x' });
    expect(unknown.status).toBe(404);
    // Removing a device already gone is done (the server's DELETE is idempotent).
    expect((await app.call('DELETE', '/api/1/premium/devices', { device_identifier: 'f'.repeat(64) })).status).toBe(200);
    const renamed = (await app.call('GET', '/api/1/premium/devices')).json.result as { devices: { device_name: string }[] };
    expect(renamed.devices[0]?.device_name).toBe('Work laptop');

    const capabilities = (await app.call('GET', '/api/1/premium/capabilities')).json.result as Record<string, unknown>;
    expect(capabilities).toMatchObject({
      current_tier: 'Basic',
      max_backup_size_mb: 150,
      graphs_view: { enabled: true, minimum_tier: 'Basic' },
      mcp: { enabled: false, minimum_tier: 'Advanced' },
    });

    const raw = readFileSync(join(app.dataDir, 'users', 'hank', 'user.db'));
    expect(raw.includes(Buffer.from(subscriber.apiKey))).toBe(false);
    expect(raw.includes(Buffer.from(subscriber.apiSecret))).toBe(false);

    // After logging in again, premium comes back from the stored (encrypted) pair.
    await app.call('PATCH', '/api/1/users/hank', { action: 'logout' });
    const login = await app.call('POST', '/api/1/users/hank', { password: PASSWORD });
    expect((login.json.result as { premium: { premium_active: boolean } }).premium.premium_active).toBe(true);
  });

  it('shows Free capabilities without premium, and after DELETE /api/1/premium', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const app = await appWithUser('iris');
    const free = (await app.call('GET', '/api/1/premium/capabilities')).json.result as Record<string, unknown>;
    expect(free).toMatchObject({ current_tier: 'Free', limit_of_devices: 0, max_backup_size_mb: 0, history_events_limit: 1000 });
    expect(free.graphs_view).toEqual({ enabled: false, minimum_tier: 'Basic' });
    await setup(app, 'iris', subscriber);
    expect((await app.call('DELETE', '/api/1/premium')).status).toBe(200);
    const status = (await app.call('GET', '/api/1/premium/status')).json.result as Record<string, unknown>;
    expect(status).toMatchObject({ premium_active: false, has_credentials: false });
    expect(((await app.call('GET', '/api/1/premium/capabilities')).json.result as Record<string, unknown>).current_tier).toBe('Free');
    // Re-adding the pair finds the device still registered.
    expect((await setup(app, 'iris', subscriber)).status).toBe(200);
    const devices = (await app.call('GET', '/api/1/premium/devices')).json.result as { devices: unknown[] };
    expect(devices.devices).toHaveLength(1);
  });

  it('device limit: lists the devices, removes one from the dialog, then Setup succeeds', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const first = await appWithUser('jack');
    const second = await appWithUser('kate');
    const third = await appWithUser('liam');
    expect((await setup(first, 'jack', subscriber)).status).toBe(200);
    expect((await setup(second, 'kate', subscriber)).status).toBe(200);
    const refused = await setup(third, 'liam', subscriber);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toBe('device_limit');
    expect(refused.json.message).toMatch(/^Could not activate premium on this device\. Device limit of 2 reached for your Basic plan/);
    expect(refused.json.devices_url).toBe(`${server.url}/home/devices`);
    const listed = refused.json.devices as { device_identifier: string }[];
    expect(listed).toHaveLength(2);
    const status = (await third.call('GET', '/api/1/premium/status')).json.result as Record<string, unknown>;
    expect(status).toMatchObject({ premium_active: false, has_credentials: false, reason: 'device_limit' });

    const firstId = ((await first.call('GET', '/api/1/premium/status')).json.result as { current_device_id: string }).current_device_id;
    expect((await third.call('DELETE', '/api/1/premium/devices', { device_identifier: firstId })).status).toBe(200);
    expect((await setup(third, 'liam', subscriber)).status).toBe(200);

    // The removed device learns it at its next check and is not registered again behind the user's back.
    const check = await first.call('POST', '/api/1/premium/status');
    expect(check.json.result).toMatchObject({ premium_active: false, reason: 'device_removed', has_credentials: true });
    expect(check.json.message).toMatch(/This device was removed from your rotki premium account/);
    const devices = (await second.call('GET', '/api/1/premium/devices')).json.result as { devices: unknown[] };
    expect(devices.devices).toHaveLength(2);

    // "Setup again" with the stored pair: refused while the plan is full, accepted once a slot is free.
    const full = await first.call('PUT', '/api/1/premium/devices');
    expect(full.status).toBe(403);
    expect(full.json.error).toBe('device_limit');
    const thirdId = ((await third.call('GET', '/api/1/premium/status')).json.result as { current_device_id: string }).current_device_id;
    expect((await second.call('DELETE', '/api/1/premium/devices', { device_identifier: thirdId })).status).toBe(200);
    const again = await first.call('PUT', '/api/1/premium/devices');
    expect(again.status).toBe(200);
    expect(again.json.result).toMatchObject({ premium_active: true });
  });

  it('a regenerated key turns premium off at the next check; a rejected replacement keeps the old pair', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const app = await appWithUser('mona');
    expect((await setup(app, 'mona', subscriber)).status).toBe(200);

    // A damaged key is caught before any request, and the secret of another pair is refused by the server.
    const damaged = await setup(app, 'mona', { apiKey: `${subscriber.apiKey.slice(0, -2)}xx`, apiSecret: subscriber.apiSecret });
    expect(damaged.status).toBe(400);
    expect(damaged.json.message).toMatch(/^The API key is damaged/);
    const other = await context.createSubscriber('Basic');
    const rejected = await setup(app, 'mona', { apiKey: subscriber.apiKey, apiSecret: other.apiSecret });
    expect(rejected.status).toBe(403);
    expect(rejected.json.message).toMatch(/the API secret does not belong to this API key/);
    expect((await app.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });
    expect((await app.call('POST', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });

    const account = await requireAccount(context.ctx, subscriber.username);
    const fresh = await regenerateCredentials(context.ctx, account.id, { via: 'cli' });
    const check = await app.call('POST', '/api/1/premium/status');
    expect(check.json.result).toMatchObject({ premium_active: false, reason: 'key_rejected' });
    // The key worked before: it was regenerated, so the message says so and does not send the user to Regenerate.
    expect(check.json.message).toMatch(/^This API key is no longer valid: it was probably regenerated/);
    expect(check.json.message).not.toMatch(/create new credentials/);

    expect((await setup(app, 'mona', { apiKey: fresh.apiKey, apiSecret: fresh.apiSecret })).status).toBe(200);
    expect((await app.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });
  });

  it('the hourly check turns premium off when the key was regenerated', async () => {
    const subscriber = await context.createSubscriber('Basic');
    let now = Date.now();
    const app = await openLocalApp(server.url, { now: () => now });
    apps.push(app);
    await app.call('PUT', '/api/1/users', { name: 'olga', password: PASSWORD });
    expect((await setup(app, 'olga', subscriber)).status).toBe(200);

    // Within the hour nothing is checked.
    const account = await requireAccount(context.ctx, subscriber.username);
    await regenerateCredentials(context.ctx, account.id, { via: 'cli' });
    now += 30 * 60_000;
    await app.core.tick();
    expect((await app.call('GET', '/api/1/premium/status')).json.result).toMatchObject({ premium_active: true });

    now += 31 * 60_000;
    await app.core.tick();
    const status = await app.call('GET', '/api/1/premium/status');
    expect(status.json.result).toMatchObject({ premium_active: false, reason: 'key_rejected' });
    expect(status.json.message).toMatch(/^This API key is no longer valid: it was probably regenerated/);
  });

  it('keeps premium through two failed hourly checks when the server is down, and turns it off at the third', async () => {
    const own = await startServer({ dialect: 'sqlite' });
    const ownContext = await openServerContext(own);
    try {
      const subscriber = await ownContext.createSubscriber('Basic');
      let now = Date.now();
      const app = await openLocalApp(own.url, { now: () => now });
      apps.push(app);
      await app.call('PUT', '/api/1/users', { name: 'pete', password: PASSWORD });
      expect((await setup(app, 'pete', subscriber)).status).toBe(200);
      await ownContext.close();
      await own.stop();
      for (const expected of [true, true, false]) {
        now += 61 * 60_000;
        await app.core.tick();
        const status = (await app.call('GET', '/api/1/premium/status')).json.result as { premium_active: boolean; message: string };
        expect(status.premium_active).toBe(expected);
        expect(status.message).toMatch(/Could not reach the rotki server/);
      }
    } finally {
      await own.stop();
    }
  });

  it('says when the subscription is not active, with the date', async () => {
    const subscriber = await context.createSubscriber('Basic');
    const account = await requireAccount(context.ctx, subscriber.username);
    await expireSubscription(context.ctx, account.id);
    const app = await appWithUser('nina');
    const answer = await setup(app, 'nina', subscriber);
    expect(answer.status).toBe(403);
    expect(answer.json.error).toBe('subscription_inactive');
    expect(answer.json.message).toMatch(/not active.*\d{4}-\d{2}-\d{2}/);
    expect(answer.json.ended_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
