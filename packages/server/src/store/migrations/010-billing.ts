import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Selling subscriptions: prices per tier and period, orders, payments,
 * invoices (gapless numbers, immutable), provider events (each stored once),
 * and what a subscription needs to follow its payments. Both dialects.
 */
export function billingMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const primaryId = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tier_prices')
        .addColumn('id', id, primaryId)
        .addColumn('tier_id', bigint, (c) => c.notNull().references('tiers.id').onDelete('cascade'))
        .addColumn('period', 'text', (c) => c.notNull().check(sql`period in ('monthly', 'yearly')`))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('amount_minor', bigint, (c) => c.notNull().check(sql`amount_minor >= 0`))
        .addColumn('valid_from', bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tier_prices_lookup_idx')
        .on('tier_prices')
        .columns(['tier_id', 'period', 'currency', 'valid_from'])
        .execute();
      // The price a tier had until now becomes its monthly price; a year costs ten months.
      await sql`insert into tier_prices (tier_id, period, currency, amount_minor, valid_from)
        select id, 'monthly', 'EUR', monthly_price_cents, 0 from tiers`.execute(db);
      await sql`insert into tier_prices (tier_id, period, currency, amount_minor, valid_from)
        select id, 'yearly', 'EUR', monthly_price_cents * 10, 0 from tiers`.execute(db);
      await db.schema.alterTable('tiers').dropColumn('monthly_price_cents').execute();

      await db.schema
        .createTable('orders')
        .addColumn('id', id, primaryId)
        .addColumn('public_id', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('new', 'renewal', 'upgrade')`))
        .addColumn('tier_id', bigint, (c) => c.notNull().references('tiers.id'))
        .addColumn('period', 'text', (c) => c.notNull().check(sql`period in ('monthly', 'yearly')`))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('net_minor', bigint, (c) => c.notNull())
        .addColumn('vat_minor', bigint, (c) => c.notNull())
        .addColumn('total_minor', bigint, (c) => c.notNull())
        .addColumn('vat_rate_bp', 'integer', (c) => c.notNull())
        .addColumn('reverse_charge', 'integer', (c) => c.notNull())
        .addColumn('buyer', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('bank_transfer', 'card', 'crypto', 'operator')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'paid', 'cancelled', 'expired')`))
        .addColumn('provider_ref', 'text')
        .addColumn('upgrade_until', bigint)
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addColumn('paid_at', bigint)
        .execute();
      await db.schema.createIndex('orders_account_idx').on('orders').columns(['account_id', 'id']).execute();
      await db.schema.createIndex('orders_provider_ref_idx').on('orders').column('provider_ref').execute();

      await db.schema
        .createTable('payments')
        .addColumn('id', id, primaryId)
        .addColumn('account_id', bigint, (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('order_id', bigint, (c) => c.references('orders.id').onDelete('set null'))
        .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider in ('manual', 'stripe', 'evm')`))
        .addColumn('provider_payment_id', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('amount_minor', bigint, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('credited', 'flagged', 'resolved')`))
        .addColumn('flag_reason', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('period_start', bigint)
        .addColumn('period_end', bigint)
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('resolved_at', bigint)
        .addUniqueConstraint('payments_provider_payment_unique', ['provider', 'provider_payment_id'])
        .execute();
      await db.schema.createIndex('payments_account_idx').on('payments').columns(['account_id', 'id']).execute();
      await db.schema.createIndex('payments_status_idx').on('payments').columns(['status', 'id']).execute();

      await db.schema
        .createTable('invoice_sequences')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('last_value', bigint, (c) => c.notNull())
        .execute();
      await sql`insert into invoice_sequences (name, last_value) values ('invoice', 0)`.execute(db);

      await db.schema
        .createTable('invoices')
        .addColumn('id', id, primaryId)
        .addColumn('sequence', bigint, (c) => c.notNull().unique())
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('payment_id', bigint, (c) => c.notNull().unique().references('payments.id'))
        // No foreign key: an invoice is a bookkeeping record that outlives the account.
        .addColumn('account_id', bigint)
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('net_minor', bigint, (c) => c.notNull())
        .addColumn('vat_minor', bigint, (c) => c.notNull())
        .addColumn('total_minor', bigint, (c) => c.notNull())
        .addColumn('issued_at', bigint, (c) => c.notNull())
        .addColumn('pdf', bytes, (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('invoices_account_idx').on('invoices').columns(['account_id', 'id']).execute();
      // Issued invoices never change: the database refuses it, whatever the code does.
      if (dialect === 'postgres') {
        await sql`create function invoices_immutable() returns trigger language plpgsql as $$
          begin raise exception 'invoices are immutable'; end $$`.execute(db);
        await sql`create trigger invoices_no_update before update or delete on invoices
          for each row execute function invoices_immutable()`.execute(db);
      } else {
        await sql`create trigger invoices_no_update before update on invoices
          begin select raise(abort, 'invoices are immutable'); end`.execute(db);
        await sql`create trigger invoices_no_delete before delete on invoices
          begin select raise(abort, 'invoices are immutable'); end`.execute(db);
      }

      await db.schema
        .createTable('provider_events')
        .addColumn('id', id, primaryId)
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('occurred_at', bigint, (c) => c.notNull())
        .addColumn('received_at', bigint, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('received', 'processed', 'ignored', 'failed')`))
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('processed_at', bigint)
        .addUniqueConstraint('provider_events_unique', ['provider', 'event_id'])
        .execute();
      await db.schema.createIndex('provider_events_received_idx').on('provider_events').columns(['received_at', 'id']).execute();

      await db.schema.alterTable('subscriptions').addColumn('provider', 'text').execute();
      await db.schema.alterTable('subscriptions').addColumn('billing_period', 'text').execute();
      await db.schema.alterTable('subscriptions').addColumn('external_id', 'text').execute();
      await db.schema.alterTable('subscriptions').addColumn('cancel_reason', 'text').execute();
      await db.schema.alterTable('subscriptions').addColumn('payment_failed_at', bigint).execute();
      await db.schema.alterTable('subscriptions').addColumn('provider_state_at', bigint).execute();
      await db.schema.alterTable('subscriptions').addColumn('reminded_for', bigint).execute();
      await db.schema.alterTable('subscriptions').addColumn('expiry_noticed_for', bigint).execute();
      await db.schema.createIndex('subscriptions_external_idx').on('subscriptions').column('external_id').execute();
    },
  };
}
