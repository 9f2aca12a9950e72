import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Store } from './database.ts';
import { initMigration } from './migrations/001-init.ts';
import { backupsMigration } from './migrations/002-backups.ts';
import { seedDefaultTiers } from './seed-tiers.ts';

function provider(store: Store): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return { '001-init': initMigration(store.dialect), '002-backups': backupsMigration(store.dialect) };
    },
  };
}

/** Brings the schema up to date and seeds the default tiers into an empty tier table. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: provider(store) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Database migration failed: ${cause}`);
  }
  await seedDefaultTiers(store.db);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
