import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** An operator can suspend an account: its signed requests are refused with a message saying so. */
export function accountSuspensionMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').addColumn('suspended_at', bigint).execute();
      await db.schema.alterTable('accounts').addColumn('suspension_reason', 'text').execute();
    },
  };
}
