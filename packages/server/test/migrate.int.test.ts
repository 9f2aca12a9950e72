import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, createScratchPostgres, type ScratchDatabase } from '../../../test-support/databases.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { migrateToLatest, migrationStatus } from '../src/store/migrate.ts';

for (const dialect of DIALECTS) {
  describe(`bringing the schema up to date on ${dialect}`, () => {
    let dataDir = '';
    let scratch: ScratchDatabase | null = null;
    let store: Store | null = null;
    afterEach(async () => {
      await store?.destroy();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function open(): Promise<Store> {
      dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-migrate-'));
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      store = openStore({ dataDir, databaseUrl: scratch?.url ?? '' });
      return store;
    }

    it('applies every migration to a new database, then leaves an up-to-date one as it is, tiers seeded', async () => {
      const db = await open();
      const applied = await migrateToLatest(db);
      const status = await migrationStatus(db);
      expect(applied).toEqual(status.applied.map((migration) => migration.name));
      expect(status.pending).toEqual([]);

      expect(await migrateToLatest(db)).toEqual([]);
      expect(await migrationStatus(db)).toEqual(status);
      // The default tiers are seeded into an empty tier table on every start, the up-to-date one included.
      await db.db.deleteFrom('tiers').execute();
      expect(await migrateToLatest(db)).toEqual([]);
      const tiers = await db.db.selectFrom('tiers').select('name').orderBy('display_order').execute();
      expect(tiers.map((tier) => tier.name)).toEqual(['Supporter', 'Basic', 'Advanced']);
    }, 60_000);

    it('refuses a database that has a migration this build does not know, as the migrator does', async () => {
      const db = await open();
      await migrateToLatest(db);
      await sql`insert into kysely_migration (name, timestamp) values ('999-from-a-newer-build', '2026-12-01T00:00:00.000Z')`.execute(db.db);
      await expect(migrateToLatest(db)).rejects.toThrow(/^Database migration failed: .*999-from-a-newer-build/);
    }, 60_000);
  });
}
