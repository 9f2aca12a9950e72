import { randomBytes } from 'node:crypto';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  AuthErrorCode,
  MAX_JSON_DEPTH,
  generateApiCredentials,
  messages,
} from '@rotki-premium/protocol';
import { WEB_API_PATHS, WebDeviceList, deviceUrl } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { SIGNED_BODY_LIMIT } from '../src/http/body-limits.ts';
import { expectError } from './support/assertions.ts';
import { postChunk, prepareChunk, sha256Base64 } from './support/backup-wire.ts';
import { stalledRequest } from './support/raw-http.ts';
import { call, deviceId, ENDPOINTS, prepare, registration, send } from './support/rotki-app.ts';

const ELEVEN_MB = 11 * 1024 * 1024;

/** Headers of a JSON request to `devices/check` signed with nothing in particular. */
function jsonHeaders(apiKey: string): Record<string, string> {
  return { 'content-type': 'application/json', [API_KEY_HEADER]: apiKey, [API_SIGN_HEADER]: 'c2lnbmF0dXJl' };
}

for (const dialect of DIALECTS) {
  describe(`hostile requests (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let owner: Subscriber;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      admin = await openServerContext(server);
      owner = await admin.createSubscriber('Basic');
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('refuses an unknown or malformed API-KEY before reading the body', async () => {
      for (const apiKey of ['x', `${'rpk_'}${'A'.repeat(38)}`, generateApiCredentials().apiKey]) {
        const request = stalledRequest(server.url, 'POST', '/nest/1/devices/check', jsonHeaders(apiKey), ELEVEN_MB, Buffer.from('{"device_identifier": "'));
        await request.written;
        const answer = await request.answer;
        // The answer came while 11 MB of announced body were still unsent.
        expect(request.bodyDone()).toBe(false);
        expect(answer.status).toBe(403);
        expect(answer.json).toEqual({ error: messages.unknownApiKey(), code: AuthErrorCode.UnknownApiKey });
        request.destroy();
      }
    });

    it('answers 413 in the protocol shape to an oversized JSON body of a known key, before reading it', async () => {
      const request = stalledRequest(server.url, 'PUT', '/nest/1/devices', jsonHeaders(owner.apiKey), ELEVEN_MB, Buffer.from('{"a": "'));
      const answer = await request.answer;
      expect(request.bodyDone()).toBe(false);
      expect(answer.status).toBe(413);
      expect(answer.json).toEqual({ error: messages.requestTooLarge(SIGNED_BODY_LIMIT), code: 'request_too_large' });
      request.destroy();
    });

    it('answers 413, not a reset, to a GET body over the limit', async () => {
      const signed = prepare(owner, ENDPOINTS.lastDataMetadata);
      const request = stalledRequest(server.url, 'GET', signed.path, signed.headers, 12 * 1024 * 1024, Buffer.from(signed.body ?? ''));
      const answer = await request.answer;
      expect(answer.status).toBe(413);
      expect(answer.json).toMatchObject({ code: 'request_too_large' });
      request.destroy();
    });

    it(`answers 400 to a body nested deeper than ${MAX_JSON_DEPTH} levels, and 413 to a huge one, never 500`, async () => {
      const nested = (levels: number) => `{"device_identifier": "ab", "a": ${'['.repeat(levels)}${']'.repeat(levels)}, "nonce": 1}`;
      const deep = await send(server.url, { method: 'POST', path: '/nest/1/devices/check', headers: jsonHeaders(owner.apiKey), body: nested(100) });
      expectError(deep, 400, messages.invalidRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`));
      const huge = await send(server.url, { method: 'POST', path: '/nest/1/devices/check', headers: jsonHeaders(owner.apiKey), body: nested(5000) });
      expectError(huge, 413, messages.requestTooLarge(SIGNED_BODY_LIMIT));
      // Within the limit the body goes on to the signature check.
      const shallow = await send(server.url, { method: 'POST', path: '/nest/1/devices/check', headers: jsonHeaders(owner.apiKey), body: nested(20) });
      expectError(shallow, 403, messages.signatureMismatch());
      expect(server.logs()).not.toMatch(/"level":50/);
    });

    it('refuses control characters, lone surrogates and names that render empty in every device field, storing nothing', async () => {
      const hostile = ['a\u0000b', '\u001b]0;owned\u0007', 'a\u0085b', 'a\ud800b', 'a\u009bb'];
      const cases: [string, string, string][] = [
        ...hostile.map((value): [string, string, string] => [value, 'laptop', 'Linux']),
        ...hostile.map((value): [string, string, string] => [deviceId('name'), value, 'Linux']),
        ...hostile.map((value): [string, string, string] => [deviceId('platform'), 'laptop', value]),
        ...['\u200b\u200b', ' \u2060 ', 'a\u202eb', 'x\u2066y', '\u3164'].map((value): [string, string, string] => [deviceId('invisible'), value, 'Linux']),
      ];
      for (const [identifier, name, platform] of cases) {
        const refused = await call(server.url, owner, ENDPOINTS.registerDevice, registration(identifier, name, platform));
        expectError(refused, 400);
      }
      const listed = await call(server.url, owner, ENDPOINTS.listDevices);
      expect(listed.status).toBe(200);
      expect((listed.json as { devices: unknown[] }).devices).toEqual([]);

      expect((await call(server.url, owner, ENDPOINTS.registerDevice, registration(deviceId('ok'), 'laptop'))).status).toBe(201);
      for (const name of ['a\u0000', '\u200b', 'evil\u202e']) {
        expectError(await call(server.url, owner, ENDPOINTS.renameDevice, [['device_identifier', deviceId('ok')], ['device_name', name]]), 400);
      }
      const after = (await call(server.url, owner, ENDPOINTS.listDevices)).json as { devices: { device_name: string }[] };
      expect(after.devices.map((d) => d.device_name)).toEqual(['laptop']);
    });

    it('refuses NUL in a login, a sign-up, a query parameter and a website device label with 400', async () => {
      const browser = new HttpWebSession(server.url);
      const login = await browser.request('POST', WEB_API_PATHS.login, { username: 'alice\u0000', password: 'whatever it is' });
      expect(login.status).toBe(400);
      const signup = await browser.signUp('bob\u0000by');
      expect(signup.status).toBe(400);
      expect((await fetch(`${server.url}${WEB_API_PATHS.availableTiers}?q=%00`)).status).toBe(400);
      expect((await fetch(`${server.url}/nest/1/limits/unlocks?x=%1B%5D0%3B`)).status).toBe(400);

      const labeller = await admin.createSubscriber('Basic');
      const web = new HttpWebSession(server.url);
      expect((await web.request('POST', WEB_API_PATHS.login, { username: labeller.username, password: labeller.password })).status).toBe(200);
      expect((await call(server.url, labeller, ENDPOINTS.registerDevice, registration(deviceId(labeller.username), 'desk'))).status).toBe(201);
      const devices = WebDeviceList.parse((await web.request('GET', WEB_API_PATHS.devices)).json);
      const id = devices.devices[0]?.id ?? 0;
      for (const label of ['a\u0000b', '\u001b[2J', '\u200b', 'x\u202ey']) {
        const renamed = await web.request('PATCH', deviceUrl(id), { label });
        expect(renamed.status).toBe(400);
      }
      for (const path of [`${WEB_API_PATHS.devices}0x${id.toString(16)}`, `${WEB_API_PATHS.devices}${id}e0`, `${WEB_API_PATHS.devices}+${id}`]) {
        expect((await web.request('PATCH', path, { label: 'fine' })).status).toBe(400);
      }
      const unchanged = WebDeviceList.parse((await web.request('GET', WEB_API_PATHS.devices)).json);
      expect(unchanged.devices.map((d) => d.label)).toEqual(['desk']);
    });

    it('refuses backup numbers beyond the safe integer range instead of rounding them', async () => {
      const data = Buffer.from('backup bytes');
      const fields = { fileHash: sha256Base64(data), lastModifyTs: '9999999999999999', totalSize: data.length };
      const refused = await postChunk(server.url, owner, fields, [0, data.length - 1], data);
      expectError(refused, 400, messages.backupBadField('last_modify_ts', 'expected Unix seconds'));
      const range = await postChunk(server.url, owner, { ...fields, lastModifyTs: 1_700_000_000 }, [0, data.length - 1], data, {
        contentRange: `bytes 0-9999999999999999/${data.length}`,
      });
      expectError(range, 400);
      const meta = await call(server.url, owner, ENDPOINTS.lastDataMetadata);
      expect(meta.json).toMatchObject({ data_size: 0 });
    });

    it('keeps /health/live answering while three 10 MB uploads are in flight', async () => {
      const data = randomBytes(10_000_000);
      const uploaders = [owner, await admin.createSubscriber('Basic'), await admin.createSubscriber('Basic')];
      const uploads = uploaders.map((who) => {
        const chunk = prepareChunk(who, { fileHash: sha256Base64(data), lastModifyTs: 1_700_000_000, totalSize: data.length }, [0, data.length - 1], data);
        const half = Math.floor(chunk.body.length / 2);
        return { chunk, half, request: stalledRequest(server.url, 'POST', chunk.path, chunk.headers, chunk.body.length, chunk.body.subarray(0, half)) };
      });
      await Promise.all(uploads.map((u) => u.request.written));
      const answered: string[] = [];
      for (const upload of uploads) void upload.request.answer.then(() => answered.push('upload'), () => answered.push('upload'));

      const health = await fetch(`${server.url}/health/live`);
      answered.push('health');
      expect(health.status).toBe(200);
      // Ordering: health answered while every upload was still waiting for its body.
      expect(answered).toEqual(['health']);

      await Promise.all(uploads.map((u) => u.request.finish(u.chunk.body.subarray(u.half))));
      const answers = await Promise.all(uploads.map((u) => u.request.answer));
      for (const answer of answers) expect(answer.status).toBe(200);
      for (const upload of uploads) upload.request.destroy();
    });
  });
}
