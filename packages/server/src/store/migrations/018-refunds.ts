import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Refunds the operator records against a payment (money paid back outside
 * the service, or through the provider's dashboard): what, why and who.
 * A payment's refunds never add up to more than it brought in (the domain
 * checks it in the same transaction as the insert). Both dialects.
 */
export function refundsMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const primaryId = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('refunds')
        .addColumn('id', id, primaryId)
        .addColumn('payment_id', bigint, (c) => c.notNull().references('payments.id'))
        // Kept when the account is deleted, as its payments and invoices are.
        .addColumn('account_id', bigint, (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('amount_minor', bigint, (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('operator', 'text')
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('refunds_payment_idx').on('refunds').columns(['payment_id', 'id']).execute();
      await db.schema.createIndex('refunds_created_idx').on('refunds').column('created_at').execute();
    },
  };
}
