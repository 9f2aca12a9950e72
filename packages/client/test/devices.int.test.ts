import { Writable } from 'node:stream';
import { AuthErrorCode, ENDPOINTS, UserLimits } from '@rotki-premium/protocol';
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
import { CredentialsRejectedError, DeviceLimitError, RemoteError } from '../src/errors.ts';
import { PremiumClient } from '../src/premium-client.ts';
import { parseResponse } from '../src/premium-response.ts';
import { sendSigned } from '../src/transport.ts';
import { deviceOf } from './support.ts';

for (const dialect of DIALECTS) {
  describe(`PremiumClient against a real server: devices and account data (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let context: ServerContext;
    let subscriber: Subscriber;
    const clientOn = (machine: string) =>
      new PremiumClient({
        baseUrl: server.url,
        apiKey: subscriber.apiKey,
        apiSecret: subscriber.apiSecret,
        deviceIdentifier: deviceOf(subscriber.username, machine),
      });
    let laptop: PremiumClient;
    let desktop: PremiumClient;
    let thirdMachine: PremiumClient;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      context = await openServerContext(server);
      subscriber = await context.createSubscriber('Basic');
      laptop = clientOn('laptop-machine-id');
      desktop = clientOn('desktop-machine-id');
      thirdMachine = clientOn('third-machine-id');
    });

    afterAll(async () => {
      await context?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('answers the public unlocks table without credentials', async () => {
      const { unlocks } = await laptop.unlocks();
      expect(unlocks).toMatchObject({ eth_staking_view: 'Basic', mcp: 'Advanced' });
      for (const tier of Object.values(unlocks)) expect(typeof tier).toBe('string');
    });

    it('checks, then registers this device, and finds it registered the next time', async () => {
      expect(await laptop.checkDevice()).toBe(false);
      const first = await laptop.authenticateDevice({ name: 'Work laptop' });
      expect(first).toEqual({ identifier: laptop.deviceIdentifier, newlyRegistered: true });
      expect(await laptop.checkDevice()).toBe(true);
      expect(await laptop.authenticateDevice()).toEqual({ identifier: laptop.deviceIdentifier, newlyRegistered: false });
      // Registering a known device again is a success (409), as the rotki app expects.
      expect(await laptop.registerDevice({ name: 'ignored' })).toBe('already_registered');
    });

    it('lists the device with the account name and the plan limit', async () => {
      const list = await laptop.devices();
      expect(list.limit).toBe(2);
      expect(list.devices).toHaveLength(1);
      expect(list.devices[0]).toMatchObject({
        device_identifier: laptop.deviceIdentifier,
        device_name: 'Work laptop',
        platform: expect.any(String),
        user: subscriber.username,
      });
    });

    it('answers metadata with zeros before any backup', async () => {
      expect(await laptop.metadata()).toEqual({ upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 });
    });

    it('answers the plan limits', async () => {
      const limits = await laptop.limits();
      expect(limits).toMatchObject({
        current_tier: 'Basic',
        limit_of_devices: 2,
        max_backup_size_mb: 150,
        eth_staking_view: true,
        mcp: false,
      });
      expect(limits.unlocks.mcp).toBe('Advanced');
    });

    it('serves a client that names no device, as the rotki app sends', async () => {
      const anonymous = new PremiumClient({ baseUrl: server.url, apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret, deviceIdentifier: null });
      expect((await anonymous.metadata()).data_hash).toBe('');
      expect((await anonymous.devices()).devices).toHaveLength(1);
    });

    it('sends through the shared transport, streaming a 2xx body to a sink', async () => {
      const buffered = await sendSigned(laptop.connection, ENDPOINTS.limits);
      expect(parseResponse(buffered, UserLimits).current_tier).toBe('Basic');

      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
      const streamed = await sendSigned(laptop.connection, ENDPOINTS.limits, {}, { sink });
      expect(streamed.status).toBe(200);
      expect(streamed.body).toHaveLength(0);
      expect(sink.writableFinished).toBe(true);
      expect(UserLimits.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))).limit_of_devices).toBe(2);
    });

    it('refuses a third device on a 2-device plan, with the registered devices', async () => {
      expect((await desktop.authenticateDevice({ name: 'Desktop', platform: 'Windows' })).newlyRegistered).toBe(true);
      const refusal = await thirdMachine.authenticateDevice({ name: 'Spare' }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(DeviceLimitError);
      const limitError = refusal as DeviceLimitError;
      expect(limitError.limit).toBe(2);
      expect(limitError.message).toContain('Device limit of 2');
      expect(limitError.devices.map((d) => d.device_name).sort()).toEqual(['Desktop', 'Work laptop']);
      expect(await thirdMachine.checkDevice()).toBe(false);
    });

    it('renames a device', async () => {
      await laptop.renameDevice(desktop.deviceIdentifier ?? '', 'Gaming PC ✓');
      const names = (await desktop.devices()).devices.map((d) => d.device_name);
      expect(names).toContain('Gaming PC ✓');
      const invalid = await laptop.renameDevice(desktop.deviceIdentifier ?? '', '   ').catch((error: unknown) => error);
      expect(invalid).toBeInstanceOf(RemoteError);
      expect((invalid as RemoteError).status).toBe(400);
    });

    it('deletes a device; the removed device is refused on its next request', async () => {
      await laptop.deleteDevice(desktop.deviceIdentifier ?? '');
      expect((await laptop.devices()).devices.map((d) => d.device_identifier)).toEqual([laptop.deviceIdentifier]);

      for (const request of [() => desktop.limits(), () => desktop.devices(), () => desktop.metadata()]) {
        const refusal = await request().catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(CredentialsRejectedError);
        expect((refusal as CredentialsRejectedError).code).toBe(AuthErrorCode.DeviceRemoved);
      }
      // 401 on /api/1, 403 on /nest/1 (decision 1).
      expect(await desktop.metadata().catch((error: unknown) => (error as CredentialsRejectedError).status)).toBe(401);
      expect(await desktop.limits().catch((error: unknown) => (error as CredentialsRejectedError).status)).toBe(403);

      // Removing a device that is already gone is the outcome asked for: a 200, not a 404 that rotki would
      // show as "Failed to contact rotki server".
      await expect(laptop.deleteDevice(desktop.deviceIdentifier ?? '')).resolves.toBeUndefined();
      expect((await laptop.devices()).devices.map((d) => d.device_identifier)).toEqual([laptop.deviceIdentifier]);
    });

    it('lets a removed device register again into the freed slot', async () => {
      expect(await desktop.authenticateDevice({ name: 'Desktop again' })).toEqual({
        identifier: desktop.deviceIdentifier,
        newlyRegistered: true,
      });
      expect((await desktop.limits()).current_tier).toBe('Basic');
    });
  });
}
