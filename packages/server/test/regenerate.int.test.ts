import { isWellFormedApiKey, isWellFormedApiSecret, messages } from '@rotki-premium/protocol';
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
import { expectError, expectJson } from './support/assertions.ts';
import { call, deviceId, ENDPOINTS, registration, type Credentials } from './support/rotki-app.ts';

const EMPTY_METADATA = { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 };

/**
 * Regenerate replaces the pair everywhere at once (DESIGN.md): two server
 * processes share one database (PostgreSQL) or one data folder (SQLite), the
 * operator regenerates while both run, and neither accepts the old pair again.
 */
for (const dialect of DIALECTS) {
  describe(`regenerate across two server processes (${dialect})`, () => {
    let storage: TestStorage;
    let first: ServerHandle;
    let second: ServerHandle;
    let admin: ServerContext;
    let who: Subscriber;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      const shared = { dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl } as const;
      first = await startServer(shared);
      second = await startServer(shared);
      admin = await openServerContext(first);
      who = await admin.createSubscriber('Basic');
    });
    afterAll(async () => {
      await admin?.close();
      await first?.stop();
      await second?.stop();
      await storage?.cleanup();
    });

    it('the old pair is refused by the other process at once; the new pair works on both', async () => {
      const device = deviceId(`${dialect}-regenerate`);
      expect((await call(first.url, who, ENDPOINTS.registerDevice, registration(device, 'laptop'))).status).toBe(201);
      for (const server of [first, second]) {
        expectJson(await call(server.url, who, ENDPOINTS.lastDataMetadata), 200, EMPTY_METADATA);
        expect((await call(server.url, who, ENDPOINTS.checkDevice, [['device_identifier', device]])).status).toBe(200);
      }

      const regenerated = await first.admin(['admin', 'credentials', 'regenerate', '--username', who.username]);
      const fresh: Credentials = { apiKey: String(regenerated.api_key), apiSecret: String(regenerated.api_secret) };
      expect(isWellFormedApiKey(fresh.apiKey)).toBe(true);
      expect(isWellFormedApiSecret(fresh.apiSecret)).toBe(true);
      expect(fresh.apiKey).not.toBe(who.apiKey);

      // The very next request with the old pair, on the process that did not see the command.
      expectError(await call(second.url, who, ENDPOINTS.checkDevice, [['device_identifier', device]]), 403, messages.unknownApiKey());
      expectError(await call(second.url, who, ENDPOINTS.lastDataMetadata), 401, messages.unknownApiKey());
      expectError(await call(first.url, who, ENDPOINTS.limits), 403, messages.unknownApiKey());

      for (const server of [first, second]) {
        expectJson(await call(server.url, fresh, ENDPOINTS.lastDataMetadata), 200, EMPTY_METADATA);
        // Devices belong to the account, not to the pair: the registered device is still known.
        expectJson(await call(server.url, fresh, ENDPOINTS.checkDevice, [['device_identifier', device]]), 200, { registered: true });
      }
    });
  });
}
