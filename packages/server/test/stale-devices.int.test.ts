import { DeviceLimitError, DeviceList, DeviceStatus, messages } from '@rotki-premium/protocol';
import { WEB_API_PATHS, WebDeviceList } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { call, deviceId, ENDPOINTS, registration } from './support/rotki-app.ts';

/**
 * Stale devices (issue 9, item 8): a device unseen for --stale-device-days is
 * marked stale on the website and for our app; with --replace-stale-devices
 * (off by default) a registration at the limit replaces the longest-unseen
 * stale device, audited, and the subscriber is told. The limit stays exact
 * under 50 concurrent registrations on two instances sharing the database.
 */

const STALE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const CONCURRENT_REGISTRATIONS = 50;
const STALE_ENV = { ROTKI_PREMIUM_STALE_DEVICE_DAYS: String(STALE_DAYS) };
const REPLACING_ENV = { ...STALE_ENV, ROTKI_PREMIUM_REPLACE_STALE_DEVICES: 'true' };

for (const dialect of DIALECTS) {
  describe(`stale devices (${dialect})`, { timeout: 120_000 }, () => {
    let storage: TestStorage;
    let plain: ServerHandle;
    let replacing: ServerHandle;
    let replacingToo: ServerHandle;
    let admin: ServerContext;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      const at = { dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl };
      // One instance first: it migrates the database the others then share.
      plain = await startServer({ ...at, env: STALE_ENV });
      [replacing, replacingToo] = await Promise.all([startServer({ ...at, env: REPLACING_ENV }), startServer({ ...at, env: REPLACING_ENV })]);
      admin = await openServerContext(plain);
    }, 180_000);
    afterAll(async () => {
      await admin?.close();
      await Promise.all([plain?.stop(), replacing?.stop(), replacingToo?.stop()]);
      await storage?.cleanup();
    }, 180_000);

    async function register(url: string, who: Subscriber, id: string, name: string, platform = 'Linux') {
      return call(url, who, ENDPOINTS.registerDevice, registration(id, name, platform));
    }

    /** Moves a device's last activity `days` into the past, as if it had not been seen since. */
    async function unseenFor(id: string, days: number): Promise<void> {
      await admin.ctx.store.db.updateTable('devices').set({ last_seen_at: Date.now() - days * DAY_MS }).where('device_identifier', '=', id).execute();
    }

    async function loggedIn(url: string, who: Subscriber): Promise<HttpWebSession> {
      const web = new HttpWebSession(url);
      expect((await web.request('POST', WEB_API_PATHS.login, { username: who.username, password: who.password })).status).toBe(200);
      return web;
    }

    async function webDevices(url: string, who: Subscriber): Promise<WebDeviceList> {
      const list = await (await loggedIn(url, who)).request('GET', WEB_API_PATHS.devices);
      expect(list.status).toBe(200);
      return WebDeviceList.strict().parse(list.json);
    }

    async function deviceStatus(url: string, who: Subscriber): Promise<DeviceStatus> {
      const result = await call(url, who, ENDPOINTS.deviceStatus);
      expect(result.status).toBe(200);
      return DeviceStatus.parse(result.json);
    }

    async function replacementAudits(accountId: number) {
      const rows = await admin.ctx.store.db
        .selectFrom('audit_events')
        .select('detail')
        .where('account_id', '=', accountId)
        .where('action', '=', 'device.replaced_stale')
        .execute();
      return rows.map((row) => JSON.parse(row.detail) as { replaced: { device_identifier: string }; device: { device_identifier: string } });
    }

    async function accountIdOf(who: Subscriber): Promise<number> {
      const row = await admin.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
      return Number(row.id);
    }

    it(`marks a device unseen for ${STALE_DAYS} days stale on the website and for our app; the rotki app's list is unchanged`, async () => {
      const who = await admin.createSubscriber('Basic');
      const [old, fresh] = [deviceId(`${dialect}-mark-old`), deviceId(`${dialect}-mark-fresh`)];
      expect((await register(plain.url, who, old, 'Old laptop')).status).toBe(201);
      expect((await register(plain.url, who, fresh, 'New PC', 'Windows')).status).toBe(201);
      await unseenFor(old, STALE_DAYS);
      await unseenFor(fresh, STALE_DAYS - 1);

      const web = await webDevices(plain.url, who);
      expect(web.staleAfterDays).toBe(STALE_DAYS);
      expect(web.replacesStale).toBe(false);
      expect(web.devices.map((d) => [d.label, d.stale])).toEqual([['Old laptop', true], ['New PC', false]]);
      expect(Date.now() - Date.parse(web.devices[0]?.lastSeenAt ?? '')).toBeGreaterThanOrEqual(STALE_DAYS * DAY_MS - 1000);

      const status = await deviceStatus(plain.url, who);
      expect(status.devices.map((d) => [d.device_identifier, d.stale])).toEqual([[old, true], [fresh, false]]);
      expect(status).toMatchObject({ stale_after_days: STALE_DAYS, replaces_stale: false, replacements: [] });

      // What the rotki app reads keeps its exact keys.
      const rotki = await call(plain.url, who, ENDPOINTS.listDevices);
      for (const device of DeviceList.strict().parse(rotki.json).devices) expect(Object.keys(device).sort()).toEqual(['created_at', 'device_identifier', 'device_name', 'last_seen_at', 'platform', 'user']);
    });

    it('refuses at the limit as before when replacement is off (the default), stale device or not', async () => {
      const who = await admin.createSubscriber('Basic');
      const ids = ['a', 'b', 'c'].map((n) => deviceId(`${dialect}-off-${n}`));
      for (const id of ids.slice(0, 2)) expect((await register(plain.url, who, id, `device ${id.slice(0, 4)}`)).status).toBe(201);
      await unseenFor(ids[0] ?? '', 365);
      const refused = await register(plain.url, who, ids[2] ?? '', 'New PC');
      expect(refused.status).toBe(422);
      expect(DeviceLimitError.strict().parse(refused.json).error).toBe(messages.deviceLimit(2, 'Basic', plain.url));
      expect((await webDevices(plain.url, who)).devices.map((d) => d.uniqueId)).toEqual(ids.slice(0, 2));
      expect(await replacementAudits(await accountIdOf(who))).toEqual([]);
    });

    it('with --replace-stale-devices replaces the longest-unseen stale device, audits it and tells the subscriber', async () => {
      const who = await admin.createSubscriber('Advanced');
      const ids = ['older', 'old', 'fresh', 'fresh2', 'new', 'newer'].map((n) => deviceId(`${dialect}-on-${n}`));
      const [older, old, fresh, fresh2, added, refusedId] = ids as [string, string, string, string, string, string];
      expect((await register(replacing.url, who, older, 'Old laptop')).status).toBe(201);
      expect((await register(replacing.url, who, old, 'Container', 'docker')).status).toBe(201);
      expect((await register(replacing.url, who, fresh, 'Desk')).status).toBe(201);
      expect((await register(replacing.url, who, fresh2, 'Tablet')).status).toBe(201);
      await unseenFor(older, 143);
      await unseenFor(old, 40);

      expect((await register(replacing.url, who, added, 'New PC', 'Windows')).status).toBe(201);
      const web = await webDevices(replacingToo.url, who);
      expect(web.replacesStale).toBe(true);
      expect(web.devices.map((d) => [d.label, d.stale])).toEqual([['Container', true], ['Desk', false], ['Tablet', false], ['New PC', false]]);
      expect(web.replacements).toHaveLength(1);
      const [notice] = web.replacements;
      expect(notice).toMatchObject({ replacedLabel: 'Old laptop', replacedPlatform: 'Linux', label: 'New PC', platform: 'Windows' });
      expect(Math.round((Date.parse(notice?.replacedAt ?? '') - Date.parse(notice?.replacedLastSeenAt ?? '')) / DAY_MS)).toBe(143);

      const audits = await replacementAudits(await accountIdOf(who));
      expect(audits.map((a) => [a.replaced.device_identifier, a.device.device_identifier])).toEqual([[older, added]]);
      // The replaced device is gone: its own check now says "not registered".
      expect((await call(replacing.url, who, ENDPOINTS.checkDevice, [['device_identifier', older]])).status).toBe(404);
      expect((await deviceStatus(replacing.url, who)).replacements).toMatchObject([{ replaced_device_name: 'Old laptop', device_name: 'New PC' }]);
      // "Export my data" carries the replacement too.
      const exported = (await (await loggedIn(replacing.url, who)).request('GET', WEB_API_PATHS.exportData)).json as { device_replacements: unknown[] };
      expect(exported.device_replacements).toMatchObject([{ replaced: { name: 'Old laptop', platform: 'Linux' }, by: { name: 'New PC', platform: 'Windows' } }]);

      // The next one replaces the other stale device; with none left, the limit refuses again.
      expect((await register(replacing.url, who, refusedId, 'Phone', 'Darwin')).status).toBe(201);
      expect((await webDevices(replacing.url, who)).devices.some((d) => d.uniqueId === old)).toBe(false);
      expect((await register(replacing.url, who, deviceId(`${dialect}-on-last`), 'One more')).status).toBe(422);
    });

    it(`keeps the limit exact under ${CONCURRENT_REGISTRATIONS} concurrent registrations on two instances, replacing each stale device once`, async () => {
      const who = await admin.createSubscriber('Advanced');
      const stale = ['s1', 's2', 's3'].map((n) => deviceId(`${dialect}-race-${n}`));
      const keptFresh = deviceId(`${dialect}-race-fresh`);
      for (const id of [...stale, keptFresh]) expect((await register(replacing.url, who, id, `seed ${id.slice(0, 4)}`)).status).toBe(201);
      for (const [i, id] of stale.entries()) await unseenFor(id, STALE_DAYS + i);

      const results = await Promise.all(
        Array.from({ length: CONCURRENT_REGISTRATIONS }, (_, i) =>
          register(i % 2 === 0 ? replacing.url : replacingToo.url, who, deviceId(`${dialect}-race-new-${i}`), `racer ${i}`),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s !== 201 && s !== 422)).toEqual([]);
      expect(statuses.filter((s) => s === 201)).toHaveLength(stale.length);
      for (const refused of results.filter((r) => r.status === 422)) expect(DeviceLimitError.parse(refused.json).limit).toBe(4);

      const devices = (await webDevices(replacingToo.url, who)).devices.map((d) => d.uniqueId);
      expect(devices).toHaveLength(4);
      expect(devices).toContain(keptFresh);
      expect(devices.filter((id) => stale.includes(id))).toEqual([]);
      const audits = await replacementAudits(await accountIdOf(who));
      expect(audits.map((a) => a.replaced.device_identifier).sort()).toEqual([...stale].sort());
    });
  });
}
