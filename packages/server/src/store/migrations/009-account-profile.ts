import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** Profile and billing details of an account (for invoices), and when it was deleted (the row stays, pseudonymised). */
export function accountProfileMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').addColumn('full_name', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('company', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('vat_id', 'text').execute();
      // JSON array of address lines.
      await db.schema.alterTable('accounts').addColumn('address', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('country', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('deleted_at', bigint).execute();
    },
  };
}
