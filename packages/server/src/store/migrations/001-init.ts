import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** The first schema; runs unchanged on SQLite and PostgreSQL. */
export function initMigration(dialect: DialectName) {
  // Millisecond timestamps exceed 32 bits.
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('tiers')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('display_order', 'integer', (c) => c.notNull())
        .addColumn('device_limit', 'integer', (c) => c.notNull())
        .addColumn('max_backup_size_mb', 'integer', (c) => c.notNull())
        .addColumn('pnl_events_limit', 'integer', (c) => c.notNull())
        .addColumn('history_events_limit', 'integer', (c) => c.notNull())
        .addColumn('reports_lookup_limit', 'integer', (c) => c.notNull())
        .addColumn('eth_staked_limit', 'integer', (c) => c.notNull())
        .addColumn('capabilities', 'text', (c) => c.notNull())
        .addColumn('monthly_price_cents', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('subscriptions')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('tier_id', bigint, (c) => c.notNull().references('tiers.id'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'cancelled', 'expired')`))
        .addColumn('period_start', bigint, (c) => c.notNull())
        .addColumn('period_end', bigint, (c) => c.notNull())
        .addColumn('payment_reference', 'text')
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('subscriptions_account_idx').on('subscriptions').columns(['account_id', 'id']).execute();

      await db.schema
        .createTable('api_credentials')
        .addColumn('account_id', bigint, (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('api_key', 'text', (c) => c.notNull().unique())
        .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('devices')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('account_id', bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('device_identifier', 'text', (c) => c.notNull())
        .addColumn('device_name', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('last_seen_at', bigint, (c) => c.notNull())
        .addUniqueConstraint('devices_account_identifier_unique', ['account_id', 'device_identifier'])
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', id, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('account_id', bigint, (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_account_idx').on('audit_events').columns(['account_id', 'id']).execute();

      await db.schema
        .createTable('replay_nonces')
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('replay_nonces_pk', ['api_key', 'nonce', 'signature'])
        .execute();
      await db.schema.createIndex('replay_nonces_expiry_idx').on('replay_nonces').column('expires_at').execute();
    },
  };
}
