import { generateApiCredentials, messages } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import {
  createTestStorage,
  startServer,
  type ServerHandle,
  type Subscriber,
  type TestStorage,
} from '../../../test-support/server-process.ts';
import { ADDRESS_LIMIT_FACTOR } from '../src/http/plugins/signed-request.ts';
import { expectError } from './support/assertions.ts';
import { call, ENDPOINTS, type HttpResult } from './support/rotki-app.ts';

const LIMIT = 5;

function expectRateLimited(result: HttpResult): void {
  const error = expectError(result, 429, /^Too many requests with invalid signatures\. Try again in \d+ seconds\.$/);
  const retryAfter = Number(result.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(error).toBe(messages.rateLimited(retryAfter));
}

for (const dialect of DIALECTS) {
  describe(`failed-signature rate limit (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let victim: Subscriber;
    let neighbour: Subscriber;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_FAILED_SIGNATURE_LIMIT: String(LIMIT) },
      });
      admin = await openServerContext(server);
      victim = await admin.createSubscriber('Basic');
      neighbour = await admin.createSubscriber('Basic');
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('answers 429 with Retry-After once a key has had too many bad signatures, and audits it', async () => {
      const forged = { apiKey: victim.apiKey, apiSecret: generateApiCredentials().apiSecret };
      for (let i = 0; i < LIMIT; i += 1) {
        expectError(await call(server.url, forged, ENDPOINTS.limits), 403, messages.signatureMismatch());
      }
      expectRateLimited(await call(server.url, forged, ENDPOINTS.limits));
      expectRateLimited(await call(server.url, forged, ENDPOINTS.lastDataMetadata));
      // Knowing the key is not enough to lock its owner out: correctly signed requests are served.
      expect((await call(server.url, victim, ENDPOINTS.limits)).status).toBe(200);
      expect((await call(server.url, victim, ENDPOINTS.lastDataMetadata)).status).toBe(200);
      expectRateLimited(await call(server.url, forged, ENDPOINTS.limits));

      const audit = await server.admin(['admin', 'audit', '--username', victim.username]);
      const events = audit.events as { action: string; detail: Record<string, unknown>; ip: string | null }[];
      const limited = events.filter((e) => e.action === 'signature.rate_limited');
      expect(limited).toHaveLength(1);
      expect(limited[0]).toMatchObject({ detail: { subject: 'api_key', path: '/nest/1/limits' }, ip: '127.0.0.1' });
    });

    it('keeps serving valid requests of another key from the same address', async () => {
      expect((await call(server.url, neighbour, ENDPOINTS.limits)).status).toBe(200);
      expect((await call(server.url, neighbour, ENDPOINTS.lastDataMetadata)).status).toBe(200);
      expect((await call(server.url, neighbour, ENDPOINTS.checkDevice, [['device_identifier', 'ab'.repeat(32)]])).status).toBe(404);
    });

    it('does not count refusals that are not bad signatures', async () => {
      for (let i = 0; i < LIMIT + 1; i += 1) {
        const stale = await call(server.url, neighbour, ENDPOINTS.limits, [], { nonce: Date.now() - 10 * 60 * 1000 });
        expectError(stale, 403, messages.nonceOutsideWindow(300));
      }
      expect((await call(server.url, neighbour, ENDPOINTS.limits)).status).toBe(200);
    });

    it(`pauses an address that tries ${ADDRESS_LIMIT_FACTOR} times the limit of unknown keys`, async () => {
      // Last in this suite: it pauses 127.0.0.1, which every request here comes from.
      // The first test's bad signatures already count for this address.
      for (let i = 0; i < LIMIT * ADDRESS_LIMIT_FACTOR - LIMIT; i += 1) {
        const guess = await call(server.url, generateApiCredentials(), ENDPOINTS.limits);
        expectError(guess, 403, messages.unknownApiKey());
      }
      expectRateLimited(await call(server.url, generateApiCredentials(), ENDPOINTS.limits));
      expectRateLimited(await call(server.url, { apiKey: 'x', apiSecret: neighbour.apiSecret }, ENDPOINTS.limits));
      // The paused address still gets its correctly signed requests served.
      expect((await call(server.url, neighbour, ENDPOINTS.limits)).status).toBe(200);
    });
  });
}
