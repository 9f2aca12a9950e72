import { randomBytes } from 'node:crypto';
import { ADMIN_API_PATHS } from '@rotki-premium/protocol/admin-api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { ConsoleSession } from './support/console-session.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The console's limit of wrong passwords per operator name (admin-auth.ts). */
const NAME_LIMIT = 10;

/**
 * The console's failed sign-ins are counted in the limiter store the website
 * and the signed API use (Redis when configured, else the database on
 * PostgreSQL), not in the process: a restarted or second instance still
 * refuses the name.
 */
for (const dialect of DIALECTS) {
  for (const store of dialect === 'postgres' ? (['redis', 'database'] as const) : (['redis'] as const)) {
    describe(`console sign-in attempts counted in the shared store (${dialect}, ${store})`, () => {
      let storage: TestStorage;
      let first: ServerHandle | undefined;
      let second: ServerHandle | undefined;
      let redis: Redis;
      const env = store === 'redis' ? { ROTKI_PREMIUM_REDIS_URL: REDIS_URL } : {};
      const name = `lim_${randomBytes(4).toString('hex')}`;

      beforeAll(async () => {
        storage = await createTestStorage(dialect);
        redis = new Redis(REDIS_URL, { lazyConnect: true });
        await redis.connect();
        // Earlier runs from this address in the last 15 minutes counted in Redis too: start from none.
        for (const key of await redis.keys('rotki-premium:limits:console:address:*')) await redis.del(key);
      }, 120_000);
      afterAll(async () => {
        await first?.stop();
        await second?.stop();
        await redis?.del(`rotki-premium:limits:console:name:${name}`);
        await redis?.quit();
        await storage?.cleanup();
      });

      it(`refuses the name after ${NAME_LIMIT} wrong passwords, in another server process too`, async () => {
        first = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
        await first.admin(['admin', 'operator', 'create', '--username', name, '--email', `${name}@ops.example`, '--role', 'support']);
        const browser = new ConsoleSession(first.url);
        for (let attempt = 1; attempt <= NAME_LIMIT; attempt += 1) {
          const wrong = await browser.request('POST', ADMIN_API_PATHS.session, { username: name, password: `not it ${attempt}` });
          expect(wrong.status, `attempt ${attempt}`).toBe(401);
        }
        const limited = await browser.request('POST', ADMIN_API_PATHS.session, { username: name, password: 'not it either' });
        expect(limited.status).toBe(429);
        expect((limited.json as { error: { code: string } }).error.code).toBe('rate_limited');
        const counted = await redis.get(`rotki-premium:limits:console:name:${name}`);
        expect(counted).toBe(store === 'redis' ? String(NAME_LIMIT) : null);
        await first.stop();
        first = undefined;

        // A fresh process has no count of its own: the refusal comes from the shared store.
        second = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
        const elsewhere = await new ConsoleSession(second.url).request('POST', ADMIN_API_PATHS.session, { username: name.toUpperCase(), password: 'x' });
        expect(elsewhere.status).toBe(429);
        expect(Number(elsewhere.headers.get('retry-after'))).toBeGreaterThan(0);
        // Two server starts and eleven password checks (scrypt): long on a loaded machine.
      }, 240_000);
    });
  }
}
