import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** Backups and chunked uploads (PROTOCOL.md §5, decisions 3–5); runs unchanged on SQLite and PostgreSQL. */
export function backupsMigration(dialect: DialectName) {
  // Sizes and millisecond timestamps exceed 32 bits.
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('backups')
        .addColumn('account_id', bigint, (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('upload_id', 'text', (c) => c.notNull())
        .addColumn('blob_ref', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', bigint, (c) => c.notNull())
        .addColumn('compression', 'text', (c) => c.notNull())
        .addColumn('last_modify_ts', bigint, (c) => c.notNull())
        .addColumn('upload_ts', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('backup_uploads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'discarded')`))
        .addColumn('temp_ref', 'text', (c) => c.notNull())
        .addColumn('expected_size', bigint, (c) => c.notNull())
        .addColumn('file_hash', 'text', (c) => c.notNull())
        .addColumn('last_modify_ts', bigint, (c) => c.notNull())
        .addColumn('compression', 'text', (c) => c.notNull())
        .addColumn('bytes_received', bigint, (c) => c.notNull())
        .addColumn('chunk_ends', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();
      // Decision 4: at most one open upload per account, whatever the number of server instances.
      await db.schema
        .createIndex('backup_uploads_one_open_idx')
        .unique()
        .on('backup_uploads')
        .column('account_id')
        .where(sql.ref('state'), '=', 'open')
        .execute();
      await db.schema.createIndex('backup_uploads_expiry_idx').on('backup_uploads').column('expires_at').execute();
    },
  };
}
