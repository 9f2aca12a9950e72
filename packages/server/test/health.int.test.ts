import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';

interface Ready {
  status: string;
  checks: Record<'database' | 'migrations' | 'blobStore', { ok: boolean; detail?: string }>;
}

async function getJson(url: string): Promise<{ status: number; body: unknown; cacheControl: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), cacheControl: response.headers.get('cache-control') };
}

/** Runs one statement on the server's database, whichever dialect. */
async function onDatabase(storage: TestStorage, statement: string): Promise<void> {
  if (storage.dialect === 'postgres') {
    const client = new pg.Client({ connectionString: storage.databaseUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
    return;
  }
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(join(storage.dataDir, 'rotki-premium.sqlite'));
  try {
    db.exec(statement);
  } finally {
    db.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`health endpoints for a load balancer (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
    });
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
    });

    it('keeps /health as it was and answers /health/live', async () => {
      expect(await getJson(`${server.url}/health`)).toMatchObject({ status: 200, body: { status: 'ok', database: dialect } });
      expect(await getJson(`${server.url}/health/live`)).toEqual({ status: 200, body: { status: 'ok' }, cacheControl: 'no-store' });
    });

    it('serves no /metrics on the public port without a metrics token (metrics.int.test.ts covers the rest)', async () => {
      expect(server.stdout()).not.toContain('Metrics:');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    });

    it('is ready when the database answers, every migration is applied and the blob store takes writes', async () => {
      const ready = await getJson(`${server.url}/health/ready`);
      expect(ready).toEqual({
        status: 200,
        cacheControl: 'no-store',
        body: { status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, blobStore: { ok: true } } },
      });
    });

    it('is not ready while the blob store refuses writes, and says so; live stays up', async () => {
      const uploads = join(storage.dataDir, 'backups', 'uploads');
      renameSync(uploads, `${uploads}.moved`);
      // A file where the folder was: every write fails (permissions do not stop root, a file does).
      writeFileSync(uploads, '');
      try {
        const ready = await getJson(`${server.url}/health/ready`);
        expect(ready.status).toBe(503);
        const body = ready.body as Ready;
        expect(body.status).toBe('unavailable');
        expect(body.checks.database).toEqual({ ok: true });
        expect(body.checks.blobStore.ok).toBe(false);
        expect(body.checks.blobStore.detail).toMatch(/^blob store not writable \(file\)/);
        expect((await getJson(`${server.url}/health/live`)).status).toBe(200);
      } finally {
        rmSync(uploads);
        renameSync(`${uploads}.moved`, uploads);
      }
      expect((await getJson(`${server.url}/health/ready`)).status).toBe(200);
    });

    it('is not ready when a migration of this build is missing from the database, and names it', async () => {
      await onDatabase(storage, `DELETE FROM kysely_migration WHERE name = '002-backups'`);
      try {
        const ready = await getJson(`${server.url}/health/ready`);
        expect(ready.status).toBe(503);
        expect((ready.body as Ready).checks.migrations).toEqual({ ok: false, detail: 'migrations not applied: 002-backups' });
      } finally {
        await onDatabase(storage, `INSERT INTO kysely_migration (name, timestamp) VALUES ('002-backups', '2025-01-01T00:00:00.000Z')`);
      }
      expect((await getJson(`${server.url}/health/ready`)).status).toBe(200);
    });

    if (dialect === 'postgres') {
      it('is not ready when the database cannot be reached', async () => {
        const name = new URL(storage.databaseUrl).pathname.slice(1);
        // Statements about the scratch database run from the maintenance database `test`.
        const maintenance = { ...storage, databaseUrl: storage.databaseUrl.replace(/\/[^/]+$/, '/test') };
        // As in a failover: the server's connections are ended and new ones refused.
        await onDatabase(maintenance, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await onDatabase(maintenance, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
        try {
          const ready = await getJson(`${server.url}/health/ready`);
          expect(ready.status).toBe(503);
          const body = ready.body as Ready;
          expect(body.checks.database.ok).toBe(false);
          expect(body.checks.database.detail).toMatch(/^database unreachable: /);
          expect(body.checks.migrations).toEqual({ ok: false, detail: 'not checked: database unreachable' });
          expect((await getJson(`${server.url}/health/live`)).status).toBe(200);
        } finally {
          await onDatabase(maintenance, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
        }
        // The pool replaces the ended connections: ready again without a restart.
        expect((await getJson(`${server.url}/health/ready`)).status).toBe(200);
      });
    }
  });
}
