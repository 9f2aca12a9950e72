import { DeviceLimitError, DeviceList, messages } from '@rotki-premium/protocol';
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
import { call, deviceId, ENDPOINTS, registration, type HttpResult } from './support/rotki-app.ts';

const CONCURRENT_REGISTRATIONS = 50;

async function listDevicesOf(url: string, who: Subscriber): Promise<DeviceList> {
  const result = await call(url, who, ENDPOINTS.listDevices);
  expect(result.status).toBe(200);
  return DeviceList.parse(result.json);
}

/** Registers `count` distinct devices at once, spread over the given servers; returns the statuses. */
async function registerConcurrently(urls: string[], who: Subscriber, tag: string, count: number): Promise<HttpResult[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(urls[i % urls.length] ?? '', who, ENDPOINTS.registerDevice, registration(deviceId(`${tag}-${i}`), `device ${i}`)),
    ),
  );
}

function expectExactlyTwoRegistered(results: HttpResult[]): void {
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(2);
  expect(statuses.filter((s) => s === 422)).toHaveLength(CONCURRENT_REGISTRATIONS - 2);
  for (const refused of results.filter((r) => r.status === 422)) {
    expect(DeviceLimitError.parse(refused.json).limit).toBe(2);
  }
}

for (const dialect of DIALECTS) {
  describe(`device rules (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      admin = await openServerContext(server);
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('Basic allows two devices; the third gets 422 with the message, the devices and the limit', async () => {
      const who = await admin.createSubscriber('Basic');
      const [first, second, third] = ['first', 'second', 'third'].map((n) => deviceId(`${dialect}-limit-${n}`));
      expect((await call(server.url, who, ENDPOINTS.registerDevice, registration(first ?? '', 'laptop'))).status).toBe(201);
      expect((await call(server.url, who, ENDPOINTS.registerDevice, registration(second ?? '', 'desktop', 'Windows'))).status).toBe(
        201,
      );
      const refused = await call(server.url, who, ENDPOINTS.registerDevice, registration(third ?? '', 'phone', 'Darwin'));
      expect(refused.status).toBe(422);
      const body = DeviceLimitError.strict().parse(refused.json);
      // Without a configured site URL, the link points at the server itself, on the port it bound.
      expect(body.error).toBe(
        `Device limit of 2 reached for your Basic plan. Remove a device at ${server.url}/home/devices or upgrade your plan.`,
      );
      expect(body.limit).toBe(2);
      expect(body.devices.map((d) => [d.device_identifier, d.device_name, d.platform, d.user])).toEqual([
        [first, 'laptop', 'Linux', who.username],
        [second, 'desktop', 'Windows', who.username],
      ]);
      expect((await listDevicesOf(server.url, who)).devices).toHaveLength(2);
    });

    it('answers 409 to a second registration of the same device and keeps one entry', async () => {
      const who = await admin.createSubscriber('Basic');
      const id = deviceId(`${dialect}-twice`);
      expectJson(await call(server.url, who, ENDPOINTS.registerDevice, registration(id, 'laptop')), 201, { registered: true });
      const again = await call(server.url, who, ENDPOINTS.registerDevice, registration(id, 'renamed?'));
      expectError(again, 409, messages.deviceExists());
      const { devices } = await listDevicesOf(server.url, who);
      expect(devices.map((d) => [d.device_identifier, d.device_name])).toEqual([[id, 'laptop']]);
    });

    it(`registers exactly two of ${CONCURRENT_REGISTRATIONS} concurrent registrations on a two-device plan`, async () => {
      const who = await admin.createSubscriber('Basic');
      const results = await registerConcurrently([server.url], who, `${dialect}-race`, CONCURRENT_REGISTRATIONS);
      expectExactlyTwoRegistered(results);
      expect((await listDevicesOf(server.url, who)).devices).toHaveLength(2);
    });

    it('refuses a request naming a removed device (decision 7), and serves requests that name none', async () => {
      const who = await admin.createSubscriber('Basic');
      const id = deviceId(`${dialect}-to-remove`);
      expect((await call(server.url, who, ENDPOINTS.registerDevice, registration(id, 'old laptop'))).status).toBe(201);
      const naming = [['device_identifier', id]] as const;
      expect((await call(server.url, who, ENDPOINTS.listDevices, naming)).status).toBe(200);
      expect((await call(server.url, who, ENDPOINTS.lastDataMetadata, naming)).status).toBe(200);

      expect((await call(server.url, who, ENDPOINTS.deleteDevice, naming)).status).toBe(200);
      expectError(await call(server.url, who, ENDPOINTS.listDevices, naming), 403, messages.deviceRemoved());
      expectError(await call(server.url, who, ENDPOINTS.limits, naming), 403, messages.deviceRemoved());
      expectError(await call(server.url, who, ENDPOINTS.lastDataMetadata, naming), 401, messages.deviceRemoved());
      expectError(await call(server.url, who, ENDPOINTS.statisticsRenderer, [['version', 16], ...naming]), 401, messages.deviceRemoved());

      // The rotki app names no device on these calls; removal reaches it through devices/check.
      expect((await call(server.url, who, ENDPOINTS.lastDataMetadata)).status).toBe(200);
      expect((await call(server.url, who, ENDPOINTS.checkDevice, naming)).status).toBe(404);
      // Registering again gives the device its access back.
      expect((await call(server.url, who, ENDPOINTS.registerDevice, registration(id, 'old laptop'))).status).toBe(201);
      expect((await call(server.url, who, ENDPOINTS.listDevices, naming)).status).toBe(200);
    });

    if (dialect === 'postgres') {
      it(`holds the limit with two server processes sharing the database (${CONCURRENT_REGISTRATIONS} registrations split across both)`, async () => {
        const second = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
        try {
          const who = await admin.createSubscriber('Basic');
          const results = await registerConcurrently([server.url, second.url], who, 'two-process-race', CONCURRENT_REGISTRATIONS);
          expectExactlyTwoRegistered(results);
          expect((await listDevicesOf(second.url, who)).devices).toHaveLength(2);
        } finally {
          await second.stop();
        }
      });
    }
  });
}
