import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Store } from './database.ts';
import { initMigration } from './migrations/001-init.ts';
import { backupsMigration } from './migrations/002-backups.ts';
import { hardeningMigration } from './migrations/003-hardening.ts';
import { masterKeysMigration } from './migrations/004-master-keys.ts';
import { backupHistoryMigration } from './migrations/005-backup-history.ts';
import { mailMigration } from './migrations/007-mail.ts';
import { accountSecurityMigration } from './migrations/008-account-security.ts';
import { accountProfileMigration } from './migrations/009-account-profile.ts';
import { billingMigration } from './migrations/010-billing.ts';
import { operatorsMigration } from './migrations/013-operators.ts';
import { accountSuspensionMigration } from './migrations/014-account-suspension.ts';
import { instanceTelemetryMigration } from './migrations/015-instance-telemetry.ts';
import { paymentCustomersMigration } from './migrations/011-payment-customers.ts';
import { sweepIndexesMigration } from './migrations/016-sweep-indexes.ts';
import { cryptoMigration } from './migrations/012-crypto.ts';
import { refundsMigration } from './migrations/018-refunds.ts';
import { deviceReplacementsMigration } from './migrations/019-device-replacements.ts';
import { tiersVersionMigration } from './migrations/020-tiers-version.ts';
import { replayKeyOrderMigration } from './migrations/021-replay-key-order.ts';
import { seedDefaultTiers } from './seed-tiers.ts';

function provider(store: Store): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-init': initMigration(store.dialect),
        '002-backups': backupsMigration(store.dialect),
        '003-hardening': hardeningMigration(store.dialect),
        '004-master-keys': masterKeysMigration(store.dialect),
        '005-backup-history': backupHistoryMigration(store.dialect),
        '007-mail': mailMigration(store.dialect),
        '008-account-security': accountSecurityMigration(store.dialect),
        '009-account-profile': accountProfileMigration(store.dialect),
        '010-billing': billingMigration(store.dialect),
        '013-operators': operatorsMigration(store.dialect),
        '014-account-suspension': accountSuspensionMigration(store.dialect),
        '015-instance-telemetry': instanceTelemetryMigration(store.dialect),
        '011-payment-customers': paymentCustomersMigration(store.dialect),
        '016-sweep-indexes': sweepIndexesMigration(),
        '012-crypto': cryptoMigration(store.dialect),
        '018-refunds': refundsMigration(store.dialect),
        '019-device-replacements': deviceReplacementsMigration(store.dialect),
        '020-tiers-version': tiersVersionMigration(store.dialect),
        '021-replay-key-order': replayKeyOrderMigration(store.dialect),
      };
    },
  };
}

function migrator(store: Store): Migrator {
  // Issues land their reserved numbers in any order: a database migrated to 007 must still accept a later 003.
  return new Migrator({ db: store.db, provider: provider(store), allowUnorderedMigrations: true });
}

/**
 * The names of the migrations the database has applied, in one query; null
 * when it has no migration table yet (a new database) or the table cannot be
 * read, which the migrator then reports in its own words.
 */
async function appliedMigrationNames(store: Store): Promise<Set<string> | null> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(store.db);
    return new Set(rows.map((row) => row.name));
  } catch {
    return null;
  }
}

/**
 * Brings the schema up to date and seeds the default tiers into an empty tier
 * table. A database that has applied exactly this build's migrations is left
 * as it is after one read: the migrator's own check first introspects every
 * table (tens of statements on SQLite), which each start and admin command
 * would pay for nothing. Any other state (a new database, a migration to
 * apply, one this build does not know) goes through the migrator, with its
 * lock and its errors.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const known = Object.keys(await provider(store).getMigrations());
  const applied = await appliedMigrationNames(store);
  if (applied !== null && applied.size === known.length && known.every((name) => applied.has(name))) {
    await seedDefaultTiers(store.db);
    return [];
  }
  const { error, results } = await migrator(store).migrateToLatest();
  if (error !== undefined) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Database migration failed: ${cause}`);
  }
  await seedDefaultTiers(store.db);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export interface MigrationStatus {
  /** Applied, oldest first, with when. */
  applied: { name: string; executedAt: Date }[];
  /** Known to this build and not applied (another instance's newer build may have applied more). */
  pending: string[];
}

/** Which of this build's migrations the database has. */
export async function migrationStatus(store: Store): Promise<MigrationStatus> {
  const infos = await migrator(store).getMigrations();
  const applied: MigrationStatus['applied'] = [];
  const pending: string[] = [];
  for (const info of infos) {
    if (info.executedAt === undefined) pending.push(info.name);
    else applied.push({ name: info.name, executedAt: info.executedAt });
  }
  return { applied, pending };
}

/** Applies this build's migrations up to and including `name`: the schema an older build left (upgrade tests). */
export async function migrateTo(store: Store, name: string): Promise<void> {
  const { error } = await migrator(store).migrateTo(name);
  if (error !== undefined) throw new Error(`Database migration failed: ${error instanceof Error ? error.message : String(error)}`);
}
