import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Stale devices the server replaced with a new one at the device limit
 * (issue 9, item 8): what the subscriber is told on the devices page and in
 * the app. Names are copied, as the replaced device's row is gone. Both dialects.
 */
export function deviceReplacementsMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const primaryId = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('device_replacements')
        .addColumn('id', id, primaryId)
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('replaced_device_name', 'text', (c) => c.notNull())
        .addColumn('replaced_platform', 'text', (c) => c.notNull())
        .addColumn('replaced_last_seen_at', bigint, (c) => c.notNull())
        .addColumn('device_name', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('replaced_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('device_replacements_account_idx').on('device_replacements').columns(['account_id', 'id']).execute();
    },
  };
}
