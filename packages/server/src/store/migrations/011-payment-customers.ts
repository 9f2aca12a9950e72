import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** Card payments: which provider customer (a Stripe customer) an account is, for the customer portal. Both dialects. */
export function paymentCustomersMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('payment_customers')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('payment_customers_pk', ['provider', 'customer_id'])
        .addUniqueConstraint('payment_customers_account_unique', ['account_id', 'provider'])
        .execute();
    },
  };
}
