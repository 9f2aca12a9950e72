import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  ENDPOINTS,
  decodeApiSecret,
  endpointPath,
  generateApiCredentials,
  signParams,
  type PremiumEndpoint,
  type PythonValue,
} from '@rotki-premium/protocol';
import { WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, DIALECTS, type ScratchDatabase } from '../../../test-support/databases.ts';
import { buildConfig } from '../src/config/config.ts';
import { createAccount } from '../src/domain/accounts.ts';
import { systemClock } from '../src/domain/clock.ts';
import type { DomainContext } from '../src/domain/context.ts';
import { createCredentials, type ApiCredentials } from '../src/domain/credentials.ts';
import { KeyRing } from '../src/domain/keyring.ts';
import { grantSubscription } from '../src/domain/subscriptions.ts';
import { DEFAULT_BILLING } from '../src/domain/billing/settings.ts';
import { seedDefaultPrices } from '../src/domain/billing/prices.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { pythonJsonDumps } from './support/rotki-app.ts';
import { TEST_PASSWORD_HASH_COST } from '../../../test-support/server-process.ts';

/** Bounded, so the suite stays within CI's time on a loaded machine; FUZZ_RUNS raises it by hand. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
// eslint-disable-next-line no-control-regex -- what must never be stored
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const SIGNED: PremiumEndpoint[] = Object.values(ENDPOINTS).filter((e) => e.signMethod !== null);

/** Text that hostile clients send: controls, surrogates, bidi and zero-width characters, long runs. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\u001b]0;x\u0007', '\ud800', '\u202e', '\u200b', '\u3164', ' ', '', 'ok', '0x13', '9999999999999999'),
  fc.string({ unit: fc.constantFrom('a', '\u0000', '\u0085', '\u200b', '\u202e', 'é', '😀'), maxLength: 30 }),
);
const scalar: fc.Arbitrary<PythonValue> = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(2 ** 53 + 2));
const nested: fc.Arbitrary<PythonValue> = fc.letrec<{ value: PythonValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 3 })),
})).value;
const deep = fc.integer({ min: 30, max: 3000 }).map((levels) => `{"a": ${'['.repeat(levels)}${']'.repeat(levels)}}`);
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019_-+/=. '.split('')), maxLength: 60 });

interface Fixture {
  app: FastifyInstance;
  ctx: DomainContext;
  pair: ApiCredentials;
  close(): Promise<void>;
}

async function fixture(dialect: 'sqlite' | 'postgres'): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-fuzz-'));
  const scratch: ScratchDatabase | null = dialect === 'postgres' ? await createScratchPostgres() : null;
  const store = openStore({ dataDir: join(dir, 'data'), databaseUrl: scratch?.url ?? '' });
  await migrateToLatest(store);
  await seedDefaultPrices(store.db, DEFAULT_BILLING.currency);
  const ctx: DomainContext = { store, clock: systemClock, keyRing: new KeyRing(randomBytes(32)), siteUrl: 'https://premium.example.test', billing: DEFAULT_BILLING, passwordHashCost: TEST_PASSWORD_HASH_COST };
  const account = await createAccount(ctx, { username: 'fuzzed', email: 'fuzzed@example.com', password: 'correct horse battery' });
  await grantSubscription(ctx, account.id, 'Basic', 1);
  const pair = await createCredentials(ctx, account.id);
  const config = buildConfig({ dataDir: join(dir, 'data'), webDir: join(dir, 'web'), loginRateLimit: 1_000_000, failedSignatureLimit: 1_000_000 });
  const app = await buildApp({ ctx, config, logger: createLogger('silent') });
  await app.ready();
  return {
    app,
    ctx,
    pair,
    async close() {
      await app.close();
      await store.destroy();
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let lastNonce = 0;
const nonce = () => (lastNonce = Math.max(Date.now(), lastNonce + 1));

/** Device rows as stored: nothing refused may be among them, and no control character ever. */
async function storedDevices(ctx: DomainContext): Promise<string> {
  const rows = await ctx.store.db.selectFrom('devices').select(['device_identifier', 'device_name', 'platform']).orderBy('id').execute();
  return JSON.stringify(rows);
}

for (const dialect of DIALECTS) {
  describe(`fuzzing the boundaries (${dialect})`, { timeout: 300_000 }, () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture(dialect);
    }, 120_000);
    afterAll(async () => {
      await f?.close();
    });

    it('signed routes: malformed keys, signatures, bodies and content types never get a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SIGNED),
          fc.oneof(fc.constant(f.pair.apiKey), fc.constant(generateApiCredentials().apiKey), headerText),
          headerText,
          fc.oneof(nested.map((v) => pythonJsonDumps(v)), deep, fc.string({ unit: 'binary', maxLength: 200 }), fc.constant('')),
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', undefined),
          fc.constantFrom('', '?nonce=1&nonce=2', '?nonce=%00', '?a=%ff%fe', `?nonce=${Date.now()}`),
          async (endpoint, apiKey, apiSign, body, contentType, query) => {
            const before = await storedDevices(f.ctx);
            const response = await f.app.inject({
              method: endpoint.httpMethod,
              url: `${endpointPath(endpoint)}${query}`,
              headers: { [API_KEY_HEADER]: apiKey, [API_SIGN_HEADER]: apiSign, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
              payload: body,
            });
            expect(response.statusCode, response.body).toBeLessThan(500);
            if (response.statusCode >= 400) expect(await storedDevices(f.ctx)).toBe(before);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('correctly signed device calls with hostile fields: 4xx or stored clean, never a 5xx', async () => {
      const secret = decodeApiSecret(f.pair.apiSecret) as Buffer;
      const endpoints = [ENDPOINTS.registerDevice, ENDPOINTS.renameDevice, ENDPOINTS.checkDevice, ENDPOINTS.deleteDevice];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), fc.tuple(scalar, scalar, scalar), nested, async (endpoint, [identifier, name, platform], extra) => {
          const values: Record<string, PythonValue> = { device_identifier: identifier, device_name: name, platform, extra };
          const pairs: [string, PythonValue][] = [...endpoint.params.filter((p) => p !== 'nonce').map((p): [string, PythonValue] => [p, values[p] ?? null]), ['nonce', nonce()]];
          const before = await storedDevices(f.ctx);
          const response = await f.app.inject({
            method: endpoint.httpMethod,
            url: endpointPath(endpoint),
            headers: { 'content-type': 'application/json', [API_KEY_HEADER]: f.pair.apiKey, [API_SIGN_HEADER]: signParams(secret, 'devices', pairs) },
            payload: pythonJsonDumps(new Map(pairs)),
          });
          expect(response.statusCode, response.body).toBeLessThan(500);
          const after = await storedDevices(f.ctx);
          if (response.statusCode >= 400) expect(after).toBe(before);
          expect(after).not.toMatch(CONTROL);
          expect(JSON.parse(after)).not.toContainEqual(expect.objectContaining({ device_name: expect.stringMatching(/[\u202a-\u202e\u2066-\u2069]/) }));
        }),
        { numRuns: RUNS },
      );
    });

    it('the website API and the backup endpoint: never a 5xx, nothing stored with a control character', async () => {
      const routes = [
        ['POST', WEB_API_PATHS.signup],
        ['POST', WEB_API_PATHS.login],
        ['GET', `${WEB_API_PATHS.devices}`],
        ['PATCH', `${WEB_API_PATHS.devices}1`],
        ['POST', '/nest/1/backup/range'],
        ['GET', '/nest/1/backup'],
        ['GET', '/admin/api/customers'],
      ] as const;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          fc.oneof(fc.dictionary(fc.constantFrom('username', 'email', 'password', 'confirmPassword', 'label', 'q'), hostileText).map((v) => JSON.stringify(v)), deep, fc.string({ unit: 'binary', maxLength: 100 })),
          fc.constantFrom('application/json', 'multipart/form-data; boundary=zz', 'text/plain'),
          fc.constantFrom('', '?q=%00', '?q=a&q=b', '?q=%E2%80%AE'),
          async ([method, path], body, contentType, query) => {
            const response = await f.app.inject({ method, url: `${path}${query}`, headers: { 'content-type': contentType, [API_KEY_HEADER]: f.pair.apiKey, [API_SIGN_HEADER]: 'x' }, payload: method === 'GET' ? undefined : body });
            expect(response.statusCode, response.body).toBeLessThan(500);
          },
        ),
        { numRuns: RUNS },
      );
      const accounts = await f.ctx.store.db.selectFrom('accounts').select(['username', 'email']).execute();
      expect(JSON.stringify(accounts)).not.toMatch(CONTROL);
    });
  });
}
