import { randomInt } from 'node:crypto';
import { generateApiCredentials, messages } from '@rotki-premium/protocol';
import { WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { expectError } from './support/assertions.ts';
import { ENDPOINTS, prepare, send, type Credentials } from './support/rotki-app.ts';

/**
 * The attempt limits hold across instances (issue 8, finding 8): two servers
 * on one PostgreSQL database count failed signatures and logins together, in
 * the database by default and in Redis with --redis. Redis runs on
 * 127.0.0.1:6379 on every machine the tests run on (.ci/run starts it).
 */

const REDIS_URL = process.env.ROTKI_PREMIUM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIGNATURE_LIMIT = 5;
const LOGIN_LIMIT = 4;

for (const counted of ['database', 'redis'] as const) {
  describe(`limits across two instances (PostgreSQL, counted in ${counted})`, { timeout: 120_000 }, () => {
    let storage: TestStorage;
    let first: ServerHandle;
    let second: ServerHandle;
    let admin: ServerContext;
    let owner: Subscriber;
    // Behind a proxy (one trusted hop), each run comes from an address of its own: Redis keeps counts between runs.
    const client = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

    function signed(server: ServerHandle, credentials: Credentials) {
      const request = prepare(credentials, ENDPOINTS.limits);
      request.headers['x-forwarded-for'] = client;
      return send(server.url, request);
    }

    beforeAll(async () => {
      if (counted === 'redis') {
        // Every test database numbers its accounts from 1: a previous run's per-account counts would apply here.
        const { Redis } = await import('ioredis');
        const redis = new Redis(REDIS_URL);
        const stale = await redis.keys('rotki-premium:limits:web:account:*');
        if (stale.length > 0) await redis.del(...stale);
        await redis.quit();
      }
      storage = await createTestStorage('postgres');
      const env = {
        ROTKI_PREMIUM_FAILED_SIGNATURE_LIMIT: String(SIGNATURE_LIMIT),
        ROTKI_PREMIUM_LOGIN_RATE_LIMIT: String(LOGIN_LIMIT),
        ROTKI_PREMIUM_TRUST_PROXY: '1',
        ...(counted === 'redis' ? { ROTKI_PREMIUM_REDIS_URL: REDIS_URL } : {}),
      };
      [first, second] = await Promise.all([
        startServer({ dialect: 'postgres', dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env }),
        startServer({ dialect: 'postgres', dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env }),
      ]);
      admin = await openServerContext(first);
      owner = await admin.createSubscriber('Basic');
    }, 180_000);
    afterAll(async () => {
      await admin?.close();
      await Promise.all([first?.stop(), second?.stop()]);
      await storage?.cleanup();
    }, 180_000);

    it('adds up bad signatures made on either instance to one limit, and still serves the owner on both', async () => {
      const forged = { apiKey: owner.apiKey, apiSecret: generateApiCredentials().apiSecret };
      for (let i = 0; i < SIGNATURE_LIMIT; i += 1) {
        expectError(await signed(i % 2 === 0 ? first : second, forged), 403, messages.signatureMismatch());
      }
      for (const server of [first, second]) {
        const refused = await signed(server, forged);
        expect(refused.status).toBe(429);
        expect(refused.json).toMatchObject({ code: 'rate_limited' });
        expect((await signed(server, owner)).status).toBe(200);
      }
    });

    it('adds up login attempts from one address on either instance to one limit', async () => {
      const sessions = [first, second].map((server) => new HttpWebSession(server.url, { 'x-forwarded-for': client }));
      const attempt = (i: number) => sessions[i % 2]?.request('POST', WEB_API_PATHS.login, { username: owner.username, password: `wrong ${i}` });
      for (let i = 0; i < LOGIN_LIMIT; i += 1) expect((await attempt(i))?.status).toBe(401);
      for (let i = 0; i < 2; i += 1) {
        const refused = await attempt(i);
        expect(refused?.status).toBe(429);
        expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // Another address is not held back by this one's attempts.
      const elsewhere = new HttpWebSession(second.url, { 'x-forwarded-for': `10.${randomInt(256)}.${randomInt(256)}.0` });
      expect((await elsewhere.request('POST', WEB_API_PATHS.login, { username: owner.username, password: 'wrong again' })).status).toBe(401);
    });
  });
}
