import { DeviceList, UserLimits, messages, type PremiumEndpoint, type PythonValue } from '@rotki-premium/protocol';
import { ADMIN_API_PATHS } from '@rotki-premium/protocol/admin-api';
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
import { ConsoleSession } from './support/console-session.ts';
import { call, deviceId, ENDPOINTS, prepare, registration, send, type PreparedRequest } from './support/rotki-app.ts';

const BASIC_UNLOCKS = {
  eth_staking_view: 'Basic',
  graphs_view: 'Basic',
  event_analysis_view: 'Basic',
  asset_movement_matching: 'Basic',
  gnosispay: 'Advanced',
  monerium: 'Advanced',
  mcp: 'Advanced',
};

for (const dialect of DIALECTS) {
  describe(`premium endpoints (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let basic: Subscriber;
    let advanced: Subscriber;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      admin = await openServerContext(server);
      basic = await admin.createSubscriber('Basic');
      advanced = await admin.createSubscriber('Advanced');
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('last_data_metadata reads the nonce from a GET form body and answers the empty backup', async () => {
      const request = prepare(basic, ENDPOINTS.lastDataMetadata);
      expect(request.body).toMatch(/^nonce=\d{13}$/);
      const result = await send(server.url, request);
      expectJson(result, 200, { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 });
    });

    it('statistics_rendererv2 answers 400 with the message the app shows', async () => {
      const result = await call(server.url, basic, ENDPOINTS.statisticsRenderer, [['version', 16]]);
      expectError(result, 400, 'Premium UI components are not provided by this server');
    });

    it('watchers: GET lists none, changes are refused with a message', async () => {
      const list = await call(server.url, basic, ENDPOINTS.watchers);
      expectJson(list, 200, []);
      const watcher = { type: 'makervault_collateralization_ratio', args: { ratio: '200.5', op: 'gt', vault_id: '24' } };
      const changes = [
        { method: 'PUT', body: [watcher] },
        { method: 'PATCH', body: [{ identifier: 'w1', ...watcher }] },
        { method: 'DELETE', body: ['w1'] },
      ] as const;
      for (const change of changes) {
        const result = await call(server.url, basic, ENDPOINTS.watchers, [['watchers', [...change.body]]], {
          method: change.method,
        });
        expectError(result, 400, 'Watchers are not supported by this server');
      }
    });

    it('devices: check, register, list, rename, delete, as the app calls them', async () => {
      const id = deviceId(`${dialect}-lifecycle`);
      const check = () => call(server.url, basic, ENDPOINTS.checkDevice, [['device_identifier', id]]);
      const list = async () => {
        const result = await call(server.url, basic, ENDPOINTS.listDevices);
        expect(result.status).toBe(200);
        return DeviceList.strict().parse(result.json);
      };

      expectError(await check(), 404, 'Device is not registered');
      const before = Math.floor(Date.now() / 1000);
      expectJson(await call(server.url, basic, ENDPOINTS.registerDevice, registration(id, '6f1c8f2e-uuid4-name')), 201, {
        registered: true,
      });
      expectJson(await check(), 200, { registered: true });

      const listed = await list();
      expect(listed.limit).toBe(2);
      expect(listed.devices).toHaveLength(1);
      const device = listed.devices[0];
      expect(device).toMatchObject({
        device_identifier: id,
        device_name: '6f1c8f2e-uuid4-name',
        platform: 'Linux',
        user: basic.username,
      });
      // Unix seconds, not milliseconds.
      expect(device?.created_at).toBeGreaterThanOrEqual(before - 1);
      expect(device?.created_at).toBeLessThan(1e10);
      expect(device?.last_seen_at).toBe(device?.created_at);

      // Non-ASCII travels as \u escapes in the JSON body and as UTF-8 percent-escapes in the signed string.
      const renamed = await call(server.url, basic, ENDPOINTS.renameDevice, [
        ['device_identifier', id],
        ['device_name', 'Büro-Laptop 💻'],
      ]);
      expect(renamed.status).toBe(200);
      expect((await list()).devices.map((d) => d.device_name)).toEqual(['Büro-Laptop 💻']);

      const removed = await call(server.url, basic, ENDPOINTS.deleteDevice, [['device_identifier', id]]);
      expect(removed.status).toBe(200);
      expectError(await check(), 404);
      expect((await list()).devices).toEqual([]);
    });

    it('devices: PATCH of a device the account does not have answers 404, DELETE an idempotent 200', async () => {
      const id = deviceId(`${dialect}-never-registered`);
      expectError(
        await call(server.url, basic, ENDPOINTS.renameDevice, [
          ['device_identifier', id],
          ['device_name', 'x'],
        ]),
        404,
        'Device not found',
      );
      const again = await call(server.url, basic, ENDPOINTS.deleteDevice, [['device_identifier', id]]);
      expect({ status: again.status, body: again.json }).toEqual({ status: 200, body: { success: true } });
    });

    it('limits: every key of §7.1 with the Basic tier’s values', async () => {
      const result = await call(server.url, basic, ENDPOINTS.limits);
      expect(result.status).toBe(200);
      expect(UserLimits.strict().parse(result.json)).toEqual({
        current_tier: 'Basic',
        limit_of_devices: 2,
        pnl_events_limit: 30_000,
        max_backup_size_mb: 150,
        history_events_limit: 30_000,
        reports_lookup_limit: 100,
        eth_staked_limit: 128,
        eth_staking_view: true,
        graphs_view: true,
        event_analysis_view: true,
        asset_movement_matching: true,
        gnosispay: false,
        monerium: false,
        mcp: false,
        unlocks: BASIC_UNLOCKS,
      });
    });

    it('limits: an Advanced subscriber gets the Advanced values and flags', async () => {
      const result = await call(server.url, advanced, ENDPOINTS.limits);
      expect(result.status).toBe(200);
      expect(UserLimits.strict().parse(result.json)).toMatchObject({
        current_tier: 'Advanced',
        limit_of_devices: 4,
        max_backup_size_mb: 600,
        history_events_limit: 100_000,
        pnl_events_limit: 100_000,
        reports_lookup_limit: 300,
        eth_staked_limit: 384,
        gnosispay: true,
        monerium: true,
        mcp: true,
      });
    });

    it('limits: a tier edited by another instance shows in the very next answer (the tier list version is read with the key)', async () => {
      const before = await call(server.url, basic, ENDPOINTS.limits);
      expect(before.json).toMatchObject({ limit_of_devices: 2, gnosispay: false, unlocks: { gnosispay: 'Advanced' } });
      const db = admin.ctx.store.db;
      const saved = await db.selectFrom('tiers').select(['device_limit', 'capabilities']).where('name', '=', 'Basic').executeTakeFirstOrThrow();
      await db.updateTable('tiers').set({ device_limit: 3, capabilities: JSON.stringify(['graphs_view', 'gnosispay']) }).where('name', '=', 'Basic').execute();
      try {
        const after = await call(server.url, basic, ENDPOINTS.limits);
        expect(after.status).toBe(200);
        expect(after.json).toMatchObject({
          current_tier: 'Basic',
          limit_of_devices: 3,
          gnosispay: true,
          eth_staking_view: false,
          unlocks: { gnosispay: 'Basic', graphs_view: 'Basic', eth_staking_view: 'Advanced' },
        });
      } finally {
        await db.updateTable('tiers').set(saved).where('name', '=', 'Basic').execute();
      }
      const restored = await call(server.url, basic, ENDPOINTS.limits);
      expect(restored.json).toMatchObject({ limit_of_devices: 2, gnosispay: false, unlocks: BASIC_UNLOCKS });
    });

    it('limits and limits/unlocks: a tier saved in the console of a second server shows in the first server\'s very next answers', async () => {
      const second = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      try {
        // Both answers once before, so the first server holds the tier list in memory.
        expect((await call(server.url, basic, ENDPOINTS.limits)).json).toMatchObject({ limit_of_devices: 2, unlocks: BASIC_UNLOCKS });
        const unlocks = { method: 'GET', path: '/nest/1/limits/unlocks', headers: {} } satisfies PreparedRequest;
        expectJson(await send(server.url, unlocks), 200, { unlocks: BASIC_UNLOCKS });

        const name = `tiers${dialect}`;
        const created = await second.admin(['admin', 'operator', 'create', '--username', name, '--email', `${name}@ops.example`, '--role', 'admin']);
        const console = new ConsoleSession(second.url);
        await console.signIn(name, String(created.password));
        const listed = (await console.request('GET', ADMIN_API_PATHS.tiers)).json as { tiers: (Record<string, unknown> & { id: number; name: string })[] };
        const tier = listed.tiers.find((t) => t.name === 'Basic')!;
        const { id, name: _name, order: _order, currency: _currency, activeSubscribers: _active, ...fields } = tier;
        const saved = { ...fields, monthlyPriceMinor: tier.monthlyPriceMinor ?? 0, yearlyPriceMinor: tier.yearlyPriceMinor ?? 0 };
        const save = (change: Record<string, unknown>) => console.request('PUT', `${ADMIN_API_PATHS.tiers}/${id}`, change);
        expect((await save({ ...saved, deviceLimit: 5, capabilities: ['graphs_view', 'mcp'] })).status).toBe(200);
        try {
          const after = await call(server.url, basic, ENDPOINTS.limits);
          expect(after.json).toMatchObject({ current_tier: 'Basic', limit_of_devices: 5, mcp: true, graphs_view: true, eth_staking_view: false });
          expectJson(await send(server.url, unlocks), 200, { unlocks: { ...BASIC_UNLOCKS, eth_staking_view: 'Advanced', event_analysis_view: 'Advanced', asset_movement_matching: 'Advanced', mcp: 'Basic' } });
        } finally {
          expect((await save(saved)).status).toBe(200);
        }
        expect((await call(server.url, basic, ENDPOINTS.limits)).json).toMatchObject({ limit_of_devices: 2, mcp: false, unlocks: BASIC_UNLOCKS });
        expectJson(await send(server.url, unlocks), 200, { unlocks: BASIC_UNLOCKS });
      } finally {
        await second.stop();
      }
      // A server start and an operator's password hash (scrypt): long on a loaded machine.
    }, 120_000);

    it('limits/unlocks answers without any credentials', async () => {
      const request: PreparedRequest = { method: 'GET', path: '/nest/1/limits/unlocks', headers: { 'user-agent': 'python-requests/2.34.2' } };
      expectJson(await send(server.url, request), 200, { unlocks: BASIC_UNLOCKS });
    });

    it('never redirects: a trailing slash or unknown path is a JSON 404', async () => {
      for (const path of ['/nest/1/limits/', '/api/1/last_data_metadata/', '/nest/1/nothing']) {
        expectError(await send(server.url, { method: 'GET', path, headers: {} }), 404, messages.notFound());
      }
    });

    describe('malformed bodies get a 4xx with {"error"}, never a 500', () => {
      const id = () => deviceId(`${dialect}-malformed`);

      it('refuses a body that is not JSON, and JSON that is not an object', async () => {
        const base = prepare(basic, ENDPOINTS.registerDevice, registration(id(), 'x'));
        expectError(await send(server.url, { ...base, body: 'device_identifier=x' }), 400, 'Invalid request: the body is not valid JSON');
        expectError(await send(server.url, { ...base, body: '{"device_identifier": ' }), 400, /not valid JSON/);
        for (const body of ['[]', '["device_identifier", "x"]', '"text"', '42']) {
          expectError(await send(server.url, { ...base, body }), 400, 'Invalid request: the body must be a JSON object');
        }
      });

      it('refuses a JSON body sent as text, and content types the API does not take', async () => {
        const base = prepare(basic, ENDPOINTS.checkDevice, [['device_identifier', id()]]);
        const asText = await send(server.url, { ...base, headers: { ...base.headers, 'content-type': 'text/plain' } });
        expectError(asText, 400, 'Invalid request: the body must be a JSON object');
        const asXml = await send(server.url, { ...base, headers: { ...base.headers, 'content-type': 'application/xml' } });
        expectError(asXml, 415);
      });

      it('refuses missing fields and wrong types on every device call', async () => {
        // Each request is validly signed over the body it carries, so validation is what refuses it.
        const cases: [PremiumEndpoint, [string, PythonValue][], RegExp][] = [
          [ENDPOINTS.registerDevice, [['device_identifier', id()], ['device_name', 'x']], /platform/],
          [ENDPOINTS.registerDevice, [['device_name', 'x'], ['platform', 'Linux']], /device_identifier/],
          [ENDPOINTS.registerDevice, [['device_identifier', 12345], ['device_name', 'x'], ['platform', 'Linux']], /device_identifier/],
          [ENDPOINTS.registerDevice, [['device_identifier', id()], ['device_name', ['a']], ['platform', 'Linux']], /device_name/],
          [ENDPOINTS.registerDevice, [['device_identifier', id()], ['device_name', 'x'], ['platform', null]], /platform/],
          [ENDPOINTS.checkDevice, [], /device_identifier/],
          [ENDPOINTS.checkDevice, [['device_identifier', true]], /device_identifier/],
          [ENDPOINTS.renameDevice, [['device_identifier', id()]], /device_name/],
          [ENDPOINTS.deleteDevice, [['device_identifier', { nested: 'x' }]], /device_identifier/],
        ];
        for (const [endpoint, pairs, field] of cases) {
          const error = expectError(await send(server.url, prepare(basic, endpoint, pairs)), 400, /^Invalid request: /);
          expect(error).toMatch(field);
        }
      });

      it('refuses device names that are empty, blank or longer than 100 characters, and registers nothing', async () => {
        for (const name of ['', '   ', '\t', 'x'.repeat(101)]) {
          const register = await call(server.url, basic, ENDPOINTS.registerDevice, registration(id(), name));
          expectError(register, 400, /device_name/);
        }
        const check = await call(server.url, basic, ENDPOINTS.checkDevice, [['device_identifier', id()]]);
        expect(check.status).toBe(404);
      });

      it('refuses a blank rename and keeps the old name', async () => {
        const named = deviceId(`${dialect}-rename-target`);
        expect((await call(server.url, basic, ENDPOINTS.registerDevice, registration(named, 'kept'))).status).toBe(201);
        for (const name of ['', '  ', 'y'.repeat(101)]) {
          const rename = await call(server.url, basic, ENDPOINTS.renameDevice, [
            ['device_identifier', named],
            ['device_name', name],
          ]);
          expectError(rename, 400, /device_name/);
        }
        const listed = DeviceList.parse((await call(server.url, basic, ENDPOINTS.listDevices)).json);
        expect(listed.devices.find((d) => d.device_identifier === named)?.device_name).toBe('kept');
        expect((await call(server.url, basic, ENDPOINTS.deleteDevice, [['device_identifier', named]])).status).toBe(200);
      });
    });
  });
}
