import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Backup history (issue 9): each tier keeps the last N versions of an
 * account's backup; every version records who uploaded it; our client's
 * uploads carry the hash their local data was synced from (compare-and-swap).
 */
export function backupHistoryMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Existing installations keep today's behaviour (one backup); new ones are seeded with 0/3/10.
      await db.schema
        .alterTable('tiers')
        .addColumn('backup_versions', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();

      // Who uploaded: the device (name and platform when our client names it), and the User-Agent.
      for (const table of ['backups', 'backup_uploads']) {
        await db.schema.alterTable(table).addColumn('device_name', 'text').execute();
        await db.schema.alterTable(table).addColumn('device_platform', 'text').execute();
        await db.schema.alterTable(table).addColumn('user_agent', 'text').execute();
      }
      // The hash the uploader's local data was synced from; null: no check (the rotki app, or forced).
      await db.schema.alterTable('backup_uploads').addColumn('base_hash', 'text').execute();

      // The versions before the current one (which stays in `backups`), newest first by replaced_at.
      await db.schema
        .createTable('backup_versions')
        .addColumn('upload_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('blob_ref', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', bigint, (c) => c.notNull())
        .addColumn('compression', 'text', (c) => c.notNull())
        .addColumn('last_modify_ts', bigint, (c) => c.notNull())
        .addColumn('upload_ts', bigint, (c) => c.notNull())
        .addColumn('device_name', 'text')
        .addColumn('device_platform', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('replaced_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('backup_versions_account_idx')
        .on('backup_versions')
        .columns(['account_id', 'replaced_at'])
        .execute();
    },
  };
}
