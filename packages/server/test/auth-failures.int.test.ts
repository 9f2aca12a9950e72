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
import { listDevices } from '../src/domain/devices.ts';
import { expectError } from './support/assertions.ts';
import { call, deviceId, ENDPOINTS, freshNonce, prepare, registration, send, type Credentials, type HttpResult, type PreparedRequest } from './support/rotki-app.ts';
import { REFUSED_NAME_PREFIX, refusedDevice, SIGNED_ROUTES, type SignedRoute } from './support/signed-routes.ts';

const SIX_MINUTES = 6 * 60 * 1000;

/**
 * The auth failures of PROTOCOL.md decisions 1–2, on every signed route. The
 * failed-signature limit is raised here because this suite sends many bad
 * signatures on purpose; the limiter has its own suite.
 */
for (const dialect of DIALECTS) {
  describe(`auth failures on every signed route (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let main: Subscriber;
    let expired: Subscriber;
    let cancelled: Subscriber;
    let expiredOn: string;
    const targets = new Map<string, string>();
    let seq = 0;

    const target = (who: Subscriber) => targets.get(who.username) ?? '';

    /** Builds a request for `route` as the rotki app would, signed with `signer` (key and secret may be swapped). */
    const build = (route: SignedRoute, who: Subscriber, intent: 'accepted' | 'refused', options: { signer?: Credentials; nonce?: number | 'omit' } = {}) => {
      seq += 1;
      const request = prepare(options.signer ?? who, route.endpoint, route.params(intent, target(who), seq), {
        ...(route.method === undefined ? {} : { method: route.method }),
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      });
      return request;
    };

    const expectRefused = (route: SignedRoute, result: HttpResult, message: string) => expectError(result, route.authStatus, message);

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_FAILED_SIGNATURE_LIMIT: '100000' },
      });
      admin = await openServerContext(server);
      [main, expired, cancelled] = [
        await admin.createSubscriber('Advanced'),
        await admin.createSubscriber('Basic'),
        await admin.createSubscriber('Basic'),
      ];
      for (const who of [main, expired, cancelled]) {
        const id = deviceId(`target-of-${who.username}`);
        targets.set(who.username, id);
        const registered = await call(server.url, who, ENDPOINTS.registerDevice, registration(id, 'target'));
        expect(registered.status).toBe(201);
      }
      const ended = await server.admin(['admin', 'subscription', 'expire', '--username', expired.username]);
      expiredOn = String(ended.period_end).slice(0, 10);
      await server.admin(['admin', 'subscription', 'cancel', '--username', cancelled.username]);
      // Three subscribers, a server and two CLI runs: allow for a loaded machine.
    }, 120_000);
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    for (const route of SIGNED_ROUTES) {
      describe(route.name, () => {
        it('refuses a request without API-KEY or API-SIGN', async () => {
          const request = build(route, main, 'refused');
          const { 'api-key': key, 'api-sign': sign, ...bare } = request.headers;
          for (const headers of [bare, { ...bare, 'api-key': key ?? '' }, { ...bare, 'api-sign': sign ?? '' }]) {
            expectRefused(route, await send(server.url, { ...request, headers }), messages.missingCredentials());
          }
        });

        it('refuses an unknown API key without hinting at a near match', async () => {
          const unknownKey = generateApiCredentials().apiKey;
          const request = build(route, main, 'refused', { signer: { apiKey: unknownKey, apiSecret: main.apiSecret } });
          expectRefused(route, await send(server.url, request), messages.unknownApiKey());
          // The real key with its last character changed.
          const almostKey = `${main.apiKey.slice(0, -1)}${main.apiKey.endsWith('A') ? 'B' : 'A'}`;
          const almost = build(route, main, 'refused', { signer: { apiKey: almostKey, apiSecret: main.apiSecret } });
          expectRefused(route, await send(server.url, almost), messages.unknownApiKey());
        });

        it('refuses a signature made with another secret', async () => {
          const request = build(route, main, 'refused', { signer: { apiKey: main.apiKey, apiSecret: generateApiCredentials().apiSecret } });
          expectRefused(route, await send(server.url, request), messages.signatureMismatch());
        });

        it('refuses parameters changed after signing', async () => {
          const signedOne = build(route, main, 'refused');
          // The same request with other parameter values, carrying the first one's signature.
          const other = build(route, main, 'refused');
          let tampered: PreparedRequest = { ...other, headers: { ...other.headers, 'api-sign': signedOne.sign ?? '' } };
          if (!route.usesNonce && other.body === signedOne.body) {
            tampered = { ...tampered, body: (signedOne.body ?? '{}').replace(/^\{/, '{"extra": 1, ').replace(', }', '}') };
          }
          expect(tampered.body ?? tampered.path).not.toBe(signedOne.body ?? signedOne.path);
          expectRefused(route, await send(server.url, tampered), messages.signatureMismatch());
        });

        if (route.usesNonce) {
          it('accepts a nonce and signature once; the same request again is a replay', async () => {
            const request = build(route, main, 'accepted');
            expect((await send(server.url, request)).status).toBe(route.okStatus);
            expectRefused(route, await send(server.url, request), messages.replayed());
          });

          it('refuses a nonce more than five minutes from server time, or none, and sends the server time', async () => {
            for (const nonce of [Date.now() - SIX_MINUTES, Date.now() + SIX_MINUTES, 'omit'] as const) {
              const before = Date.now();
              const result = await send(server.url, build(route, main, 'refused', { nonce }));
              expectRefused(route, result, messages.nonceOutsideWindow(300));
              const serverTime = Number(result.headers['x-server-time-ms']);
              expect(serverTime).toBeGreaterThanOrEqual(before - 1_000);
              expect(serverTime).toBeLessThanOrEqual(Date.now() + 1_000);
              expect(Date.parse(String(result.headers.date))).not.toBeNaN();
            }
          });
        }

        it('refuses an account whose subscription has expired, naming the end date', async () => {
          const result = await send(server.url, build(route, expired, 'refused'));
          expectRefused(route, result, `Your rotki premium subscription is not active: it ended on ${expiredOn}.`);
        });

        it('serves a cancelled subscription until its period end', async () => {
          const result = await send(server.url, build(route, cancelled, 'accepted'));
          expect({ status: result.status, body: result.json }).toMatchObject({ status: route.okStatus });
        });
      });
    }

    it('refuses a devices/check signature replayed as DELETE devices, and the device stays', async () => {
      const check = prepare(main, ENDPOINTS.checkDevice, [['device_identifier', target(main)]]);
      expect((await send(server.url, check)).status).toBe(200);
      const asDelete: PreparedRequest = { ...check, method: 'DELETE', path: '/nest/1/devices' };
      expectError(await send(server.url, asDelete), 403, messages.replayed());
      const again = await call(server.url, main, ENDPOINTS.checkDevice, [['device_identifier', target(main)]]);
      expect(again.status).toBe(200);
    });

    it('refuses a limits signature sent to GET devices: the signed path differs', async () => {
      // Both sign `nonce=<n>` with the hex digest, but with different methods, so the signature itself fails.
      const nonce = freshNonce();
      const limits = prepare(main, ENDPOINTS.limits, [], { nonce });
      expect((await send(server.url, limits)).status).toBe(200);
      const asDevices: PreparedRequest = { ...limits, path: `/nest/1/devices?nonce=${nonce}` };
      expectError(await send(server.url, asDevices), 403, messages.signatureMismatch());
    });

    it('wrote nothing for any refused request: no device registered, renamed or removed', async () => {
      for (const who of [main, expired, cancelled]) {
        const account = await admin.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
        const devices = await listDevices(admin.ctx, { accountId: Number(account.id), username: who.username });
        const ids = new Set(devices.map((d) => d.device_identifier));
        expect(ids.has(target(who))).toBe(true);
        for (let n = 0; n <= seq; n += 1) expect(ids.has(refusedDevice(n))).toBe(false);
        expect(devices.filter((d) => d.device_name.startsWith(REFUSED_NAME_PREFIX))).toEqual([]);
      }
    });
  });
}
