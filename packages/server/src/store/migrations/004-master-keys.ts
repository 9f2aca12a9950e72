import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Issue 8: the fingerprint (a MAC of a constant, never the key) of the master
 * key the secrets are encrypted under, so that a process holding another key
 * refuses to start or write; and the keys a rotation retired.
 */
export function masterKeysMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('master_keys')
        .addColumn('fingerprint', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('retired_at', bigint)
        .execute();
    },
  };
}
