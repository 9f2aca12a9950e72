import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, runCli, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { itServesTheRotkiApp, runRotkiLikeClient, type ConformanceRun } from './support/rotki-app-conformance.ts';
import { deviceId } from './support/rotki-app.ts';

interface Issued {
  ca_file: string;
  bundle_file: string | null;
  cert_file: string;
  key_file: string;
}

/**
 * An unmodified rotki app calls https://rotki.com. `rotki-premium tls issue`
 * makes the certificate; Python `requests`, as the app uses it, trusts the CA
 * through REQUESTS_CA_BUNDLE and reaches the server by that name, resolved to
 * 127.0.0.1 inside the client process only (docs/rotki-app.md).
 */
for (const dialect of DIALECTS) {
  describe(`the rotki app's requests to https://rotki.com, answered by this server (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let admin: ServerContext;
    let issued: Issued;
    let url: string;
    let conformance: ConformanceRun;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      const issue = await runCli(['tls', 'issue', '--hostname', 'rotki.com', '--json'], { ROTKI_PREMIUM_DATA: storage.dataDir });
      expect(issue.code).toBe(0);
      issued = issue.json as unknown as Issued;
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_TLS_CERT: issued.cert_file, ROTKI_PREMIUM_TLS_KEY: issued.key_file },
      });
      url = `https://rotki.com:${new URL(server.url).port}`;
      admin = await openServerContext(server);
      const who = await admin.createSubscriber('Basic');
      const device = deviceId(`${dialect}-rotki-com`);
      conformance = { outcomes: await runRotkiLikeClient(url, who, device, { caBundle: issued.ca_file, resolveToLoopback: 'rotki.com' }), who, device };
      // Three processes in a row (the command, the server, the client): room for a busy machine.
    }, 180_000);
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    itServesTheRotkiApp(() => conformance);

    it('also verifies with the bundle of the CA and the public CAs, which keeps the app’s other HTTPS working', async () => {
      expect(issued.bundle_file).not.toBeNull();
      const outcomes = await runRotkiLikeClient(url, conformance.who, deviceId(`${dialect}-bundle`), {
        caBundle: issued.bundle_file as string,
        resolveToLoopback: 'rotki.com',
      });
      expect(outcomes.get('limits')?.status).toBe(200);
    });

    it('is refused by a client that does not trust the CA', async () => {
      const refused = await runRotkiLikeClient(url, conformance.who, deviceId(`${dialect}-untrusted`), { resolveToLoopback: 'rotki.com' }).catch(
        (error: unknown) => error as { stderr?: string },
      );
      expect(refused).not.toBeInstanceOf(Map);
      expect((refused as { stderr?: string }).stderr).toMatch(/CERTIFICATE_VERIFY_FAILED/);
    });

    it('makes a CA that vouches for rotki.com only, keeps no CA key, and the server key private', () => {
      const ca = execFileSync('openssl', ['x509', '-in', issued.ca_file, '-noout', '-text'], { encoding: 'utf8' });
      expect(ca).toMatch(/Name Constraints: critical\s+Permitted:\s+DNS:rotki\.com\n/);
      expect(ca).toMatch(/CA:TRUE, pathlen:0/);
      const folder = join(storage.dataDir, 'tls');
      expect(readdirSync(folder).sort()).toEqual(['ca-bundle.pem', 'ca.pem', 'cert.pem', 'key.pem']);
      expect(statSync(issued.key_file).mode & 0o077).toBe(0);
    });
  });
}
