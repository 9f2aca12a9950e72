import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, runCli, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { keyFingerprint } from '../src/domain/keyring.ts';
import { MASTER_KEY_FILE } from '../src/domain/keyring.ts';
import { call, ENDPOINTS } from './support/rotki-app.ts';

for (const dialect of DIALECTS) {
  describe(`master key check and rotation (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle | undefined;
    let subscriber: Subscriber;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      env = server.env;
      const admin = await openServerContext(server);
      subscriber = await admin.createSubscriber('Basic');
      await admin.close();
    });
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
    });

    it('keeps the data folder 0700 and the key and database files 0600', () => {
      expect(statSync(storage.dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(storage.dataDir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
      for (const name of readdirSync(storage.dataDir).filter((n) => n.startsWith('rotki-premium.sqlite'))) {
        expect(statSync(join(storage.dataDir, name)).mode & 0o777).toBe(0o600);
      }
    });

    it('refuses an admin command run with another master key, naming both fingerprints, and writes nothing', async () => {
      const otherKey = randomBytes(32);
      const serverKey = Buffer.from(readFileSync(join(storage.dataDir, MASTER_KEY_FILE), 'utf8').trim(), 'hex');
      const refused = await runCli(
        ['admin', 'account', 'create', '--username', 'wrongkey', '--email', 'wrongkey@example.com', '--password', 'a long password'],
        { ...env, ROTKI_PREMIUM_MASTER_KEY: otherKey.toString('hex') },
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(keyFingerprint(otherKey));
      expect(refused.stderr).toContain(keyFingerprint(serverKey));
      const audit = await runCli(['admin', 'audit', '--username', 'wrongkey', '--json'], env);
      expect(audit.code).not.toBe(0);
      expect(audit.stderr + audit.stdout).toMatch(/No account/);
    });

    it('rotates to a new key: every secret re-encrypted, the old key kept aside, the app served after a restart', async () => {
      await server?.stop();
      server = undefined;
      const oldKey = Buffer.from(readFileSync(join(storage.dataDir, MASTER_KEY_FILE), 'utf8').trim(), 'hex');
      const rotated = await runCli(['admin', 'master-key', 'rotate', '--json'], env);
      expect(rotated.code).toBe(0);
      expect(rotated.json).toMatchObject({ reencrypted: 1, retired: [keyFingerprint(oldKey)] });
      const newKey = Buffer.from(readFileSync(join(storage.dataDir, MASTER_KEY_FILE), 'utf8').trim(), 'hex');
      expect(newKey.equals(oldKey)).toBe(false);
      expect(rotated.json?.fingerprint).toBe(keyFingerprint(newKey));
      expect(existsSync(join(storage.dataDir, `${MASTER_KEY_FILE}.retired-${keyFingerprint(oldKey).replaceAll(':', '')}`))).toBe(true);

      // The old key alone no longer starts a server on this database.
      await expect(
        startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ROTKI_PREMIUM_MASTER_KEY: oldKey.toString('hex') } }),
      ).rejects.toThrow(/is not the one this database's secrets are encrypted under/);

      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      expect((await call(server.url, subscriber, ENDPOINTS.limits)).status).toBe(200);
    });
  });
}
