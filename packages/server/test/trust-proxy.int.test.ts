import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CSRF_HEADER, CsrfResponse, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig, type ConfigInput } from '../src/config/config.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

interface Running {
  app: FastifyInstance;
  tc: TestContext;
}

const opened: { app: FastifyInstance; tc: TestContext; dir: string }[] = [];

async function open(overrides: ConfigInput): Promise<Running> {
  const tc = await createTestContext(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-proxy-'));
  const config = buildConfig({ dataDir: join(dir, 'data'), webDir: join(dir, 'web'), loginRateLimit: 3, ...overrides });
  const app = await buildApp({ ctx: tc.ctx, config, logger: createLogger('silent') });
  await app.ready();
  opened.push({ app, tc, dir });
  return { app, tc };
}

afterEach(async () => {
  for (const { app, tc, dir } of opened.splice(0)) {
    await app.close();
    await tc.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The client addresses that failed logins were audited with. */
async function failedLoginAddresses(tc: TestContext): Promise<(string | null)[]> {
  const rows = await tc.ctx.store.db.selectFrom('audit_events').select('ip').where('action', '=', 'login.failed').orderBy('id').execute();
  return rows.map((row) => row.ip);
}

/** A failed login from a proxy at 127.0.0.1, with the X-Forwarded-For the client chose plus what the proxy appended. */
async function login(app: FastifyInstance, forwardedFor: string) {
  const page = await app.inject({ method: 'GET', url: WEB_API_PATHS.csrf, remoteAddress: '127.0.0.1' });
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return app.inject({
    method: 'POST',
    url: WEB_API_PATHS.login,
    remoteAddress: '127.0.0.1',
    headers: { 'x-forwarded-for': forwardedFor, cookie, [CSRF_HEADER]: CsrfResponse.parse(page.json()).csrfToken },
    payload: { username: 'nobody-here', password: 'wrong password' },
  });
}

describe('--trust-proxy', () => {
  it('with one hop, takes the address the proxy appended: a forged first entry changes nothing', async () => {
    const { app } = await open({ trustProxy: true });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await login(app, `10.66.0.${i}, 198.51.100.7`)).statusCode);
    // Every attempt counts for 198.51.100.7: the limit of 3 holds however the client varies its own entry.
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Another real client behind the same proxy is not affected.
    expect((await login(app, '10.66.0.1, 198.51.100.8')).statusCode).toBe(401);
  });

  it('records the appended address in the audit log', async () => {
    const { app, tc } = await open({ trustProxy: '1' });
    await login(app, '203.0.113.66, 198.51.100.9');
    expect(await failedLoginAddresses(tc)).toEqual(['198.51.100.9']);
  });

  it('with proxy addresses, takes the last entry that is not a proxy', async () => {
    const { app, tc } = await open({ trustProxy: '127.0.0.1,10.0.0.0/8' });
    await login(app, '203.0.113.66, 198.51.100.10, 10.1.2.3');
    expect(await failedLoginAddresses(tc)).toEqual(['198.51.100.10']);
  });

  it('without the option, ignores X-Forwarded-For', async () => {
    const { app, tc } = await open({});
    await login(app, '203.0.113.66');
    expect(await failedLoginAddresses(tc)).toEqual(['127.0.0.1']);
  });

  it('refuses an option value that is neither a hop count nor addresses', () => {
    expect(() => buildConfig({ trustProxy: 'yes please' })).toThrow(/--trust-proxy/);
    expect(buildConfig({ trustProxy: '2' }).trustProxy).toBe(2);
    expect(buildConfig({ trustProxy: 'false' }).trustProxy).toBe(false);
  });
});
