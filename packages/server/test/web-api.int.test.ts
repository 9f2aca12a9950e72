import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  AccountResponse,
  AvailableTiers,
  WEB_API_PATHS,
  WebCredentials,
  WebDevice,
  WebDeviceList,
  WebErrorCode,
  deviceUrl,
} from '@rotki-premium/protocol/web-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig, type ConfigInput } from '../src/config/config.ts';
import { findAccountByUsername } from '../src/domain/accounts.ts';
import { listAuditEvents } from '../src/domain/audit.ts';
import { getCredentials } from '../src/domain/credentials.ts';
import { listDevices, registerDevice } from '../src/domain/devices.ts';
import { grantSubscription } from '../src/domain/subscriptions.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';
import { WebSession, webError } from './support/web-session.ts';

const HOUR_MS = 3600 * 1000;

// Signing up now also logs in: two password hashes (scrypt) per subscriber, minutes on a loaded machine.
vi.setConfig({ testTimeout: 240_000 });

interface WebApp {
  app: FastifyInstance;
  tc: TestContext;
  dir: string;
  close(): Promise<void>;
}

/** The whole HTTP app over a fresh database with a hand-moved clock, and a stand-in built website. */
async function startWebApp(overrides: ConfigInput = {}, options: { built?: boolean } = {}): Promise<WebApp> {
  const tc = await createTestContext(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-web-'));
  const webDir = join(dir, 'web');
  if (options.built !== false) {
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>rotki premium</title><script type="module" src="/assets/app-1a2b.js"></script>');
    writeFileSync(join(webDir, 'assets', 'app-1a2b.js'), 'console.log(1);');
    writeFileSync(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    mkdirSync(join(webDir, 'images'));
    writeFileSync(join(webDir, 'images', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  }
  const config = buildConfig({ dataDir: join(dir, 'data'), webDir, sessionTtlSeconds: 3600, ...overrides });
  const app = await buildApp({ ctx: tc.ctx, config, logger: createLogger('silent') });
  await app.ready();
  return {
    app,
    tc,
    dir,
    async close() {
      await app.close();
      await tc.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}

async function accountIdOf(web: WebApp, username: string): Promise<number> {
  const account = await findAccountByUsername(web.tc.ctx, username);
  if (account === null) throw new Error(`no account ${username}`);
  return account.id;
}

/** A signed-up, logged-in subscriber with an active Basic subscription and, optionally, credentials and devices. */
async function subscriber(web: WebApp, options: { credentials?: boolean; devices?: number } = {}) {
  const session = new WebSession(web.app);
  const username = uniqueName('web');
  expect((await session.signUp(username)).statusCode).toBe(200);
  const accountId = await accountIdOf(web, username);
  await grantSubscription(web.tc.ctx, accountId, 'Basic', 1);
  let credentials: WebCredentials | null = null;
  if (options.credentials === true) {
    const created = await session.request('POST', WEB_API_PATHS.credentials);
    expect(created.statusCode).toBe(201);
    credentials = WebCredentials.parse(created.json());
  }
  for (let i = 0; i < (options.devices ?? 0); i += 1) {
    await registerDevice(
      web.tc.ctx,
      { accountId, username, deviceLimit: 2, tierName: 'Basic' },
      { identifier: createHash('sha256').update(`${username}-${i}`).digest('hex'), name: `${username} device ${i}`, platform: 'Linux' },
    );
  }
  const devices = WebDeviceList.parse((await session.request('GET', WEB_API_PATHS.devices)).json()).devices;
  return { session, username, accountId, credentials, devices };
}

describe('web API: sessions', () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp();
  });
  afterAll(() => web.close());

  it('signs up without a session ("check your inbox"), then logs in with an HttpOnly SameSite=Lax cookie whose token is stored hashed', async () => {
    const session = new WebSession(web.app);
    const username = uniqueName('signup');
    const registered = await session.register(username);
    expect(registered.statusCode).toBe(202);
    expect(registered.json()).toEqual({ message: expect.stringMatching(/^Check your inbox: we sent a mail to signup\d+@example\.com/) as string });
    expect(registered.cookies.find((c) => c.name === 'rp_session')).toBeUndefined();
    const response = await session.logIn(username);
    expect(response.statusCode).toBe(200);
    const account = AccountResponse.parse(response.json());
    expect(account).toMatchObject({
      account: { username, emailVerified: false },
      subscription: null,
      credentials: null,
      devices: { count: 0, limit: 0 },
    });

    const cookie = response.cookies.find((c) => c.name === 'rp_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    const token = cookie?.value ?? '';
    const rows = await web.tc.ctx.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows.map((r) => r.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('marks the cookie Secure when the site is reached over HTTPS', async () => {
    const https = await startWebApp({ trustProxy: true });
    try {
      const session = new WebSession(https.app);
      const username = uniqueName('tls');
      expect((await session.register(username)).statusCode).toBe(202);
      const response = await session.request('POST', WEB_API_PATHS.login, {
        body: { username, password: 'correct horse battery' },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.cookies.find((c) => c.name === 'rp_session')?.secure).toBe(true);
    } finally {
      await https.close();
    }
  });

  it('refuses a sign-up whose two passwords differ, or that takes a used name', async () => {
    const session = new WebSession(web.app);
    const differ = await session.request('POST', WEB_API_PATHS.signup, {
      body: { username: uniqueName('pw'), email: 'pw@example.com', password: 'correct horse battery', confirmPassword: 'other horse battery' },
    });
    expect(differ.statusCode).toBe(400);
    expect(webError(differ)).toMatchObject({ code: WebErrorCode.InvalidInput, message: 'The two passwords differ.' });

    const username = uniqueName('taken');
    expect((await new WebSession(web.app).signUp(username)).statusCode).toBe(200);
    const taken = await new WebSession(web.app).signUp(username);
    expect(taken.statusCode).toBe(409);
    expect(webError(taken).message).toBe(`Username "${username}" is taken`);
  });

  it('logs in with username or email, says only "wrong username or password" otherwise, and audits both', async () => {
    const username = uniqueName('login');
    await new WebSession(web.app).signUp(username);

    const wrong = await new WebSession(web.app).logIn(username, 'not the password');
    expect(wrong.statusCode).toBe(401);
    expect(webError(wrong)).toEqual({ code: WebErrorCode.WrongCredentials, message: 'Wrong username or password.' });
    const unknown = await new WebSession(web.app).logIn('nobody-here', 'not the password');
    expect(webError(unknown)).toEqual(webError(wrong));

    const byName = new WebSession(web.app);
    expect((await byName.logIn(username)).statusCode).toBe(200);
    expect((await byName.request('GET', WEB_API_PATHS.account)).statusCode).toBe(200);
    const byEmail = new WebSession(web.app);
    expect((await byEmail.logIn(`${username.toUpperCase()}@EXAMPLE.COM`)).statusCode).toBe(200);

    const actions = (await listAuditEvents(web.tc.ctx.store.db, await accountIdOf(web, username))).map((e) => e.action);
    expect(actions).toContain('login.failed');
    // The sign-up's own login, then by name and by e-mail.
    expect(actions.filter((a) => a === 'login.succeeded')).toHaveLength(3);
  });

  it('issues a new session at login and ends it at logout', async () => {
    const username = uniqueName('logout');
    await new WebSession(web.app).signUp(username);
    const session = new WebSession(web.app);
    await session.logIn(username);
    const firstToken = session.cookies.get('rp_session');
    await session.logIn(username);
    expect(session.cookies.get('rp_session')).not.toBe(firstToken);

    const stolen = session.cookieHeader();
    const logout = await session.request('POST', WEB_API_PATHS.logout);
    expect(logout.statusCode).toBe(200);
    expect(session.cookies.has('rp_session')).toBe(false);
    // The old cookie is worthless: its row is gone.
    const replayed = await web.app.inject({ method: 'GET', url: WEB_API_PATHS.account, headers: { cookie: stolen } });
    expect(replayed.statusCode).toBe(401);
    expect(webError(replayed).code).toBe(WebErrorCode.NotLoggedIn);
  });

  it('ends a session at its expiry', async () => {
    const { session } = await subscriber(web);
    web.tc.clock.advance(HOUR_MS - 1);
    expect((await session.request('GET', WEB_API_PATHS.account)).statusCode).toBe(200);
    web.tc.clock.advance(1);
    const expired = await session.request('GET', WEB_API_PATHS.account);
    expect(expired.statusCode).toBe(401);
    expect(webError(expired).code).toBe(WebErrorCode.NotLoggedIn);
  });

  it('answers 401 on every account route without a session', async () => {
    const anonymous = new WebSession(web.app);
    const routes: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string][] = [
      ['GET', WEB_API_PATHS.account],
      ['GET', WEB_API_PATHS.credentials],
      ['POST', WEB_API_PATHS.credentials],
      ['POST', WEB_API_PATHS.regenerateKeys],
      ['POST', WEB_API_PATHS.cancelSubscription],
      ['GET', WEB_API_PATHS.devices],
      ['PATCH', deviceUrl(1)],
      ['DELETE', deviceUrl(1)],
    ];
    for (const [method, url] of routes) {
      const response = await anonymous.request(method, url, method === 'PATCH' ? { body: { label: 'x' } } : {});
      expect({ route: `${method} ${url}`, status: response.statusCode }).toEqual({ route: `${method} ${url}`, status: 401 });
      expect(webError(response).code).toBe(WebErrorCode.NotLoggedIn);
    }
  });

  it('keeps account answers out of caches', async () => {
    const { session } = await subscriber(web, { credentials: true });
    expect((await session.request('GET', WEB_API_PATHS.credentials)).headers['cache-control']).toBe('no-store');
    expect((await session.request('GET', WEB_API_PATHS.account)).headers['cache-control']).toBe('no-store');
  });
});

describe('web API: CSRF', () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp();
  });
  afterAll(() => web.close());

  it('refuses every state-changing request without the page token, with a wrong one, or with another session\'s', async () => {
    const owner = await subscriber(web, { credentials: true, devices: 1 });
    const other = await subscriber(web);
    const device = owner.devices[0];
    if (device === undefined) throw new Error('no device');
    const changes: [method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown][] = [
      ['POST', WEB_API_PATHS.regenerateKeys],
      ['POST', WEB_API_PATHS.cancelSubscription],
      ['PATCH', deviceUrl(device.id), { label: 'renamed by someone else' }],
      ['DELETE', deviceUrl(device.id)],
      ['POST', WEB_API_PATHS.logout],
    ];
    for (const csrf of [null, 'not-the-token', other.session.csrfToken]) {
      for (const [method, url, body] of changes) {
        const response = await owner.session.request(method, url, { csrf, body });
        expect({ change: `${method} ${url}`, csrf, status: response.statusCode }).toEqual({ change: `${method} ${url}`, csrf, status: 403 });
        expect(webError(response).code).toBe(WebErrorCode.CsrfFailed);
      }
    }
    // Nothing changed.
    expect((await getCredentials(web.tc.ctx, owner.accountId))?.apiKey).toBe(owner.credentials?.apiKey);
    expect(await listDevices(web.tc.ctx, { accountId: owner.accountId, username: owner.username })).toHaveLength(1);
    expect(AccountResponse.parse((await owner.session.request('GET', WEB_API_PATHS.account)).json()).subscription?.status).toBe('active');
  });

  it('guards login and sign-up with a pre-session token bound to its cookie', async () => {
    const username = uniqueName('pre');
    await new WebSession(web.app).signUp(username);
    const noToken = await new WebSession(web.app).request('POST', WEB_API_PATHS.login, { body: { username, password: 'correct horse battery' }, csrf: null });
    expect(noToken.statusCode).toBe(403);

    // A token fetched by another browser does not match this browser's cookie.
    const attacker = new WebSession(web.app);
    await attacker.request('GET', WEB_API_PATHS.csrf);
    const victim = new WebSession(web.app);
    const forged = await victim.request('POST', WEB_API_PATHS.login, {
      body: { username, password: 'correct horse battery' },
      csrf: attacker.csrfToken,
    });
    expect(forged.statusCode).toBe(403);

    const csrf = await victim.request('GET', WEB_API_PATHS.csrf);
    expect(csrf.cookies.find((c) => c.name === 'rp_csrf')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect((await victim.logIn(username)).statusCode).toBe(200);
  });
});

describe('web API: credentials, subscription and devices', () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp();
  });
  afterAll(() => web.close());

  it('needs an active subscription to create credentials, creates one pair, shows it and audits each view', async () => {
    const session = new WebSession(web.app);
    const username = uniqueName('creds');
    await session.signUp(username);
    const refused = await session.request('POST', WEB_API_PATHS.credentials);
    expect(refused.statusCode).toBe(400);
    expect(webError(refused).message).toMatch(/active subscription/);
    const none = await session.request('GET', WEB_API_PATHS.credentials);
    expect(none.statusCode).toBe(404);
    expect(webError(none).message).toMatch(/click Create/);

    const accountId = await accountIdOf(web, username);
    await grantSubscription(web.tc.ctx, accountId, 'Basic', 1);
    const created = await session.request('POST', WEB_API_PATHS.credentials);
    expect(created.statusCode).toBe(201);
    const pair = WebCredentials.parse(created.json());
    expect((await session.request('POST', WEB_API_PATHS.credentials)).statusCode).toBe(409);

    const account = AccountResponse.parse((await session.request('GET', WEB_API_PATHS.account)).json());
    expect(account.credentials).toEqual({ createdAt: pair.createdAt });
    expect(JSON.stringify(account)).not.toContain(pair.apiSecret);

    const viewed = WebCredentials.parse((await session.request('GET', WEB_API_PATHS.credentials)).json());
    expect(viewed).toEqual(pair);
    const events = await listAuditEvents(web.tc.ctx.store.db, accountId);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['credentials.created', 'credentials.viewed']));
    expect(events.find((e) => e.action === 'credentials.viewed')).toMatchObject({ detail: { via: 'web' }, ip: '127.0.0.1' });
    expect(JSON.stringify(events)).not.toContain(pair.apiSecret);
  });

  it('regenerates: the new pair replaces the old one at once', async () => {
    const owner = await subscriber(web, { credentials: true });
    const response = await owner.session.request('POST', WEB_API_PATHS.regenerateKeys);
    expect(response.statusCode).toBe(200);
    const fresh = WebCredentials.parse(response.json());
    expect(fresh.apiKey).not.toBe(owner.credentials?.apiKey);
    expect(fresh.apiSecret).not.toBe(owner.credentials?.apiSecret);
    expect(await getCredentials(web.tc.ctx, owner.accountId)).toMatchObject({ apiKey: fresh.apiKey, apiSecret: fresh.apiSecret });
    const actions = (await listAuditEvents(web.tc.ctx.store.db, owner.accountId)).map((e) => e.action);
    expect(actions).toContain('credentials.regenerated');
  });

  it('cancels the subscription, which stays active until the period end', async () => {
    const owner = await subscriber(web);
    const before = AccountResponse.parse((await owner.session.request('GET', WEB_API_PATHS.account)).json());
    const cancelled = await owner.session.request('POST', WEB_API_PATHS.cancelSubscription);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', isActive: true, periodEnd: before.subscription?.periodEnd });
    expect((await owner.session.request('POST', WEB_API_PATHS.cancelSubscription)).statusCode).toBe(200);
  });

  it('lists devices in the website shape, renames (1–100 characters) and removes them, audited', async () => {
    const owner = await subscriber(web, { devices: 2 });
    const list = WebDeviceList.parse((await owner.session.request('GET', WEB_API_PATHS.devices)).json());
    expect(list.limit).toBe(2);
    expect(list.devices).toHaveLength(2);
    const [first, second] = list.devices as [WebDevice, WebDevice];
    expect(first).toMatchObject({ label: `${owner.username} device 0`, platform: 'Linux', user: owner.username });
    expect(first.uniqueId).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);

    for (const label of ['', '   ', 'x'.repeat(101)]) {
      const bad = await owner.session.request('PATCH', deviceUrl(first.id), { body: { label } });
      expect(bad.statusCode).toBe(400);
      expect(webError(bad).message).toBe('Device name must be 1 to 100 characters.');
    }
    const renamed = await owner.session.request('PATCH', deviceUrl(first.id), { body: { label: `  ${'é'.repeat(100)}  ` } });
    expect(renamed.statusCode).toBe(200);
    expect(WebDevice.parse(renamed.json()).label).toBe('é'.repeat(100));

    expect((await owner.session.request('DELETE', deviceUrl(second.id))).statusCode).toBe(200);
    expect((await owner.session.request('DELETE', deviceUrl(second.id))).statusCode).toBe(404);
    expect((await owner.session.request('DELETE', '/webapi/2/devices/abc')).statusCode).toBe(400);
    const after = WebDeviceList.parse((await owner.session.request('GET', WEB_API_PATHS.devices)).json());
    expect(after.devices.map((d) => d.id)).toEqual([first.id]);

    const events = await listAuditEvents(web.tc.ctx.store.db, owner.accountId);
    expect(events.find((e) => e.action === 'device.renamed')).toMatchObject({ detail: { via: 'web' }, ip: '127.0.0.1' });
    expect(events.find((e) => e.action === 'device.removed')).toMatchObject({ detail: { via: 'web', device_identifier: second.uniqueId } });
  });

  it('shows the tiers to anyone', async () => {
    const response = await new WebSession(web.app).request('GET', WEB_API_PATHS.availableTiers);
    expect(response.statusCode).toBe(200);
    const { tiers, currency } = AvailableTiers.parse(response.json());
    expect(tiers.map((t) => t.name)).toEqual(['Supporter', 'Basic', 'Advanced']);
    expect(tiers[1]).toMatchObject({ deviceLimit: 2, maxBackupSizeMb: 150, prices: { monthly: 1_800, yearly: 18_000 } });
    expect(currency).toBe('EUR');
  });
});

describe('web API: an account sees and changes only its own data', () => {
  let web: WebApp;
  let owner: Awaited<ReturnType<typeof subscriber>>;
  let intruder: Awaited<ReturnType<typeof subscriber>>;

  beforeAll(async () => {
    web = await startWebApp();
  });
  afterAll(() => web.close());
  beforeEach(async () => {
    owner = await subscriber(web, { credentials: true, devices: 2 });
    intruder = await subscriber(web);
  });
  afterEach(async () => {
    // The owner's data is as it was, whatever the intruder tried.
    expect(await getCredentials(web.tc.ctx, owner.accountId)).toMatchObject({
      apiKey: owner.credentials?.apiKey,
      apiSecret: owner.credentials?.apiSecret,
    });
    const devices = await listDevices(web.tc.ctx, { accountId: owner.accountId, username: owner.username });
    expect(devices.map((d) => [d.id, d.device_name])).toEqual(owner.devices.map((d) => [d.id, d.label]));
    const account = AccountResponse.parse((await owner.session.request('GET', WEB_API_PATHS.account)).json());
    expect(account.subscription?.status).toBe('active');
  });

  it('account: the intruder reads its own account', async () => {
    const account = AccountResponse.parse((await intruder.session.request('GET', WEB_API_PATHS.account)).json());
    expect(account.account.username).toBe(intruder.username);
    expect(account.credentials).toBeNull();
    expect(account.devices.count).toBe(0);
  });

  it('credentials: viewing gets the intruder nothing of the owner', async () => {
    const response = await intruder.session.request('GET', WEB_API_PATHS.credentials);
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain(owner.credentials?.apiKey);
    expect(response.body).not.toContain(owner.credentials?.apiSecret);
  });

  it('credentials: creating and regenerating touch only the intruder\'s pair', async () => {
    expect((await intruder.session.request('POST', WEB_API_PATHS.regenerateKeys)).statusCode).toBe(404);
    const created = WebCredentials.parse((await intruder.session.request('POST', WEB_API_PATHS.credentials)).json());
    expect(created.apiKey).not.toBe(owner.credentials?.apiKey);
    const regenerated = WebCredentials.parse((await intruder.session.request('POST', WEB_API_PATHS.regenerateKeys)).json());
    expect(regenerated.apiKey).not.toBe(owner.credentials?.apiKey);
  });

  it('subscription: cancelling cancels only the intruder\'s', async () => {
    const response = await intruder.session.request('POST', WEB_API_PATHS.cancelSubscription);
    expect(response.json()).toMatchObject({ status: 'cancelled' });
  });

  it('devices: the list holds none of the owner\'s devices', async () => {
    const list = WebDeviceList.parse((await intruder.session.request('GET', WEB_API_PATHS.devices)).json());
    expect(list.devices).toEqual([]);
  });

  it('devices: renaming or removing the owner\'s device by id answers 404, as for a device that does not exist', async () => {
    for (const device of owner.devices) {
      const rename = await intruder.session.request('PATCH', deviceUrl(device.id), { body: { label: 'mine now' } });
      expect(rename.statusCode).toBe(404);
      expect(webError(rename).message).toBe('Device not found');
      const remove = await intruder.session.request('DELETE', deviceUrl(device.id));
      expect(remove.statusCode).toBe(404);
      expect(remove.body).not.toContain(device.uniqueId);
    }
  });
});

describe('web API: rate limits', () => {
  it('limits login and sign-up attempts per address with a clear 429', async () => {
    const web = await startWebApp({ loginRateLimit: 3 });
    try {
      const session = new WebSession(web.app);
      for (let i = 0; i < 3; i += 1) expect((await session.logIn('someone', 'wrong password')).statusCode).toBe(401);
      const limited = await session.logIn('someone', 'wrong password');
      expect(limited.statusCode).toBe(429);
      expect(webError(limited)).toMatchObject({ code: WebErrorCode.RateLimited, message: expect.stringMatching(/^Too many attempts\. Try again in \d+ (second|minute|hour)s?\.$/) });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

      for (let i = 0; i < 3; i += 1) await session.signUp(`bad name ${i}`);
      expect((await session.signUp('bad name 4')).statusCode).toBe(429);
    } finally {
      await web.close();
    }
  });

  it('limits failed logins per account, whatever the address', async () => {
    const web = await startWebApp({ loginRateLimit: 1000, trustProxy: true });
    try {
      const username = uniqueName('guessed');
      await new WebSession(web.app).signUp(username);
      for (let i = 0; i < 10; i += 1) {
        const attempt = await new WebSession(web.app).request('POST', WEB_API_PATHS.login, {
          body: { username, password: `guess ${i}` },
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        expect(attempt.statusCode).toBe(401);
      }
      const right = await new WebSession(web.app).request('POST', WEB_API_PATHS.login, {
        body: { username, password: 'correct horse battery' },
        headers: { 'x-forwarded-for': '198.51.100.200' },
      });
      expect(right.statusCode).toBe(429);
      expect(webError(right).code).toBe(WebErrorCode.RateLimited);
    } finally {
      await web.close();
    }
    // Twelve password hashes (scrypt): slow on a loaded machine.
  }, 240_000);
});

describe('website and security headers', () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp();
  });
  afterAll(() => web.close());

  it('answers the page for every site path, with a strict Content-Security-Policy', async () => {
    for (const path of ['/', '/login', '/signup', '/pricing', '/home', '/home/subscription', '/home/devices']) {
      const response = await web.app.inject({ method: 'GET', url: path });
      expect({ path, status: response.statusCode }).toEqual({ path, status: 200 });
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('<title>rotki premium</title>');
      expect(response.headers['cache-control']).toBe('no-cache');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('caches hashed assets for a year, revalidates the files beside index.html, and answers 404 elsewhere', async () => {
    const asset = await web.app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1);');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const assetHead = await web.app.inject({ method: 'HEAD', url: '/assets/app-1a2b.js' });
    expect({ status: assetHead.statusCode, body: assetHead.body }).toEqual({ status: 200, body: '' });
    for (const url of ['/favicon.svg', '/index.html', '/images/logo.svg']) {
      const file = await web.app.inject({ method: 'GET', url });
      expect({ url, status: file.statusCode, cache: file.headers['cache-control'] }).toEqual({ url, status: 200, cache: 'no-cache' });
    }
    // An unknown name under assets/, or one that climbs out of it, is the site's own 404 page: never a file from elsewhere.
    for (const url of ['/assets/gone-9z9z.js', '/assets/..%2findex.html', '/assets/..%2f..%2fweb%2findex.html']) {
      const response = await web.app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
    }
    const missing = await web.app.inject({ method: 'GET', url: '/home/elsewhere' });
    expect(missing.statusCode).toBe(404);
    const unknownApi = await web.app.inject({ method: 'GET', url: '/webapi/nothing/' });
    expect(unknownApi.statusCode).toBe(404);
    expect(webError(unknownApi).code).toBe(WebErrorCode.NotFound);
  });

  it("answers an unknown page address with the site's own page and 404, and keeps JSON 404s for the APIs", async () => {
    for (const path of ['/Pricing', '/favicon.ico', '/home/elsewhere', '/no/such/page?x=1']) {
      const response = await web.app.inject({ method: 'GET', url: path });
      expect({ path, status: response.statusCode }).toEqual({ path, status: 404 });
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('<title>rotki premium</title>');
      expect(String(response.headers['content-security-policy'])).toContain("script-src 'self'");
    }
    for (const path of ['/api/1/nothing', '/nest/1/nothing', '/webapi/nothing', '/health/nothing', '/admin/api/nothing']) {
      const response = await web.app.inject({ method: 'GET', url: path });
      expect({ path, status: response.statusCode }).toEqual({ path, status: 404 });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    }
    const premium = await web.app.inject({ method: 'GET', url: '/api/1/nothing' });
    expect(premium.json()).toEqual({ error: 'Not found' });
  });

  it('redirects a page address with a trailing slash to the address without it, never to another host', async () => {
    const cases: [string, string][] = [
      ['/home/subscription/', '/home/subscription'],
      ['/pricing//?period=yearly', '/pricing?period=yearly'],
      ['//evil.example/', '/evil.example'],
    ];
    for (const [from, to] of cases) {
      const response = await web.app.inject({ method: 'GET', url: from });
      expect({ from, status: response.statusCode, location: response.headers.location }).toEqual({ from, status: 301, location: to });
    }
  });

  it('says how to build the website when it is not built', async () => {
    const unbuilt = await startWebApp({}, { built: false });
    try {
      const response = await unbuilt.app.inject({ method: 'GET', url: '/home/subscription' });
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain('npm run build');
    } finally {
      await unbuilt.close();
    }
  });
});
