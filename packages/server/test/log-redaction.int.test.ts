import { generateApiCredentials } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import {
  createTestStorage,
  startServer,
  type ServerHandle,
  type TestStorage,
} from '../../../test-support/server-process.ts';
import { deviceId, ENDPOINTS, prepare, registration, send, type Credentials, type PreparedRequest } from './support/rotki-app.ts';

/** The secret and every API-SIGN stay out of the server log, even at trace level. */
for (const dialect of DIALECTS) {
  describe(`log redaction (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_LOG_LEVEL: 'trace' },
      });
    });
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
    });

    it('logs requests but never a secret or a signature', async () => {
      const username = `logs${Date.now() % 100_000}`;
      await server.admin(['admin', 'account', 'create', '--username', username, '--email', `${username}@example.com`, '--password', 'correct horse battery']);
      await server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
      const created = await server.admin(['admin', 'credentials', 'create', '--username', username]);
      const first: Credentials = { apiKey: String(created.api_key), apiSecret: String(created.api_secret) };

      const sent: PreparedRequest[] = [];
      const exchange = async (request: PreparedRequest) => {
        sent.push(request);
        return send(server.url, request);
      };
      const device = deviceId(`${dialect}-logs`);
      const requests = (who: Credentials) => [
        prepare(who, ENDPOINTS.lastDataMetadata),
        prepare(who, ENDPOINTS.checkDevice, [['device_identifier', device]]),
        prepare(who, ENDPOINTS.registerDevice, registration(device, 'laptop')),
        prepare(who, ENDPOINTS.listDevices),
        prepare(who, ENDPOINTS.limits),
        prepare(who, ENDPOINTS.watchers),
      ];
      for (const request of requests(first)) await exchange(request);
      // Refused requests are logged as refusals; their signatures must not be logged either.
      await exchange(prepare({ apiKey: first.apiKey, apiSecret: generateApiCredentials().apiSecret }, ENDPOINTS.limits));
      const replay = sent[0];
      if (replay !== undefined) expect((await exchange(replay)).status).toBe(401);

      const regenerated = await server.admin(['admin', 'credentials', 'regenerate', '--username', username]);
      const second: Credentials = { apiKey: String(regenerated.api_key), apiSecret: String(regenerated.api_secret) };
      for (const request of requests(second)) await exchange(request);

      // SIGTERM closes gracefully, and the log is complete.
      expect(await server.stop()).toBe(0);
      const logs = server.logs();
      expect(logs).toContain('incoming request');
      expect(logs).toContain('/nest/1/devices/check');
      for (const secret of [first.apiSecret, second.apiSecret]) {
        expect(logs).not.toContain(secret);
        // Nor a recognisable part of it (the marker is shared by every secret, so skip it).
        expect(logs).not.toContain(secret.slice(4, 36));
      }
      const signs = sent.map((r) => r.sign).filter((s): s is string => s !== undefined);
      expect(signs.length).toBe(sent.length);
      for (const sign of signs) expect(logs).not.toContain(sign);
    });
  });
}
