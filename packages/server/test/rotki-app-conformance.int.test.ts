import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { messages } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { findAccountByUsername } from '../src/domain/accounts.ts';
import { actingAs } from '../src/domain/audit.ts';
import { suspendAccount } from '../src/domain/suspension.ts';
import { itServesTheRotkiApp, runRotkiLikeClient, type ConformanceRun } from './support/rotki-app-conformance.ts';
import { deviceId } from './support/rotki-app.ts';

const run = promisify(execFile);

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
    let conformance: ConformanceRun;
    const device = deviceId(`${dialect}-${scheme}-python-client`);

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
      const who = await admin.createSubscriber('Basic');
      const outcomes = await runRotkiLikeClient(server.url, who, device, tls === undefined ? {} : { caBundle: tls.cert });
      conformance = { outcomes, who, device };
      // A server, a subscriber and the Python client in a row: room for a busy machine.
    }, 180_000);
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    itServesTheRotkiApp(() => conformance);

    it('tells a suspended account so, in the error the app shows, on every signed call', async () => {
      // What the console's Suspend button runs, on behalf of an operator.
      const account = await findAccountByUsername(admin.ctx, conformance.who.username);
      await actingAs({ operator: 'conformance', ip: null }, () => suspendAccount(admin.ctx, account!.id, 'charge-back'));
      const outcomes = await runRotkiLikeClient(server.url, conformance.who, device, scheme === 'https' ? { caBundle: `${storage.dataDir}/tls-cert.pem` } : {});
      const suspended = { error: messages.accountSuspended(), code: 'account_suspended' };
      expect(outcomes.get('last_data_metadata')).toMatchObject({ status: 401, body: suspended });
      expect(outcomes.get('limits')).toMatchObject({ status: 403, body: suspended });
      expect(outcomes.get('check_unknown')).toMatchObject({ status: 403, body: suspended });
      expect(outcomes.get('unlocks')?.status).toBe(200);
    }, 120_000);
  });
}
