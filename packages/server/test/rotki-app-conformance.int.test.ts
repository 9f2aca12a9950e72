import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeviceList, messages, UserLimits } from '@rotki-premium/protocol';
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
import { deviceId } from './support/rotki-app.ts';

const CLIENT = join(import.meta.dirname, 'fixtures', 'rotki_app_client.py');

interface Outcome {
  call: string;
  status: number;
  body: unknown;
}

const run = promisify(execFile);

/**
 * Runs the Python client, which signs and sends exactly as the rotki app does.
 * `caBundle` is trusted through REQUESTS_CA_BUNDLE, as an unmodified app is
 * pointed at another server (PROTOCOL.md §1).
 */
async function runRotkiLikeClient(url: string, who: Subscriber, device: string, caBundle?: string): Promise<Map<string, Outcome>> {
  const { stdout } = await run('python3', [CLIENT, url, who.apiKey, who.apiSecret, device], {
    // requests honours proxy variables; the server is local.
    env: {
      ...process.env,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      ...(caBundle === undefined ? {} : { REQUESTS_CA_BUNDLE: caBundle }),
    },
    timeout: 60_000,
  });
  const { results } = JSON.parse(stdout) as { results: Outcome[] };
  return new Map(results.map((r) => [r.call, r]));
}

/** A self-signed certificate for 127.0.0.1, which the client trusts as its CA bundle. */
async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'tls-cert.pem');
  const key = join(dir, 'tls-key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return { cert, key };
}

const SCHEMES = ['http', 'https'] as const;
const VARIANTS = DIALECTS.flatMap((dialect) => SCHEMES.map((scheme) => ({ dialect, scheme })));

for (const { dialect, scheme } of VARIANTS) {
  describe(`a Python client signing like the rotki app (${dialect}, ${scheme})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let who: Subscriber;
    let outcomes: Map<string, Outcome>;
    const device = deviceId(`${dialect}-${scheme}-python-client`);

    const outcome = (name: string): Outcome => {
      const found = outcomes.get(name);
      if (found === undefined) throw new Error(`the client made no call named ${name}`);
      return found;
    };

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      // PROTOCOL.md decision 11: HTTPS served directly when a certificate is configured.
      const tls = scheme === 'https' ? await selfSignedCertificate(storage.dataDir) : undefined;
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        ...(tls === undefined ? {} : { env: { ROTKI_PREMIUM_TLS_CERT: tls.cert, ROTKI_PREMIUM_TLS_KEY: tls.key } }),
      });
      expect(server.url.startsWith(`${scheme}://`)).toBe(true);
      admin = await openServerContext(server);
      who = await admin.createSubscriber('Basic');
      outcomes = await runRotkiLikeClient(server.url, who, device, tls?.cert);
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('reads the unlocks without credentials and the empty backup metadata from a GET form body', () => {
      expect(outcome('unlocks')).toMatchObject({ status: 200, body: { unlocks: { graphs_view: 'Basic', mcp: 'Advanced' } } });
      expect(outcome('last_data_metadata')).toEqual({
        call: 'last_data_metadata',
        status: 200,
        body: { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 },
      });
    });

    it('authenticates its device as the app does: check 404, register 201, again 409, check 200', () => {
      expect([outcome('check_unknown').status, outcome('register').status, outcome('register_again').status, outcome('check_known').status]).toEqual([
        404, 201, 409, 200,
      ]);
      expect(outcome('register').body).toEqual({ registered: true });
    });

    it('renames with a non-ASCII name and lists the device with the fields the app needs', () => {
      expect(outcome('rename').status).toBe(200);
      const list = outcome('list');
      expect(list.status).toBe(200);
      const { devices, limit } = DeviceList.parse(list.body);
      expect(limit).toBe(2);
      expect(devices).toEqual([
        expect.objectContaining({ device_identifier: device, device_name: 'Büro laptop é ☕ (rotki)', platform: 'Linux', user: who.username }),
      ]);
    });

    it('gets its limits from a params= query', () => {
      const limits = outcome('limits');
      expect(limits.status).toBe(200);
      expect(UserLimits.parse(limits.body)).toMatchObject({ current_tier: 'Basic', limit_of_devices: 2, max_backup_size_mb: 150 });
    });

    it('gets the closed-part answers: no premium components, an empty watcher list, no watcher changes', () => {
      expect(outcome('statistics_rendererv2')).toMatchObject({ status: 400, body: { error: messages.premiumComponentsUnavailable() } });
      expect(outcome('watchers_get')).toMatchObject({ status: 200, body: [] });
      expect(outcome('watchers_put')).toMatchObject({ status: 400, body: { error: messages.watchersUnsupported() } });
    });

    it('deletes its device with a JSON body on DELETE', () => {
      expect(outcome('delete').status).toBe(200);
      expect(outcome('check_after_delete').status).toBe(404);
    });

    it('is refused with the codes the app understands when the secret is wrong', () => {
      expect(outcome('check_wrong_secret')).toMatchObject({ status: 403, body: { error: messages.signatureMismatch() } });
      expect(outcome('metadata_wrong_secret')).toMatchObject({ status: 401, body: { error: messages.signatureMismatch() } });
    });
  });
}
