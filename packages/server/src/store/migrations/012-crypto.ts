import { type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Crypto payments on EVM chains: the quotes given to buyers (exact amounts with
 * a per-order tail), the tails held so that no two recent quotes share one,
 * each chain's scan cursor, and transfers seen but not yet confirmed. Both dialects.
 */
export function cryptoMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const primaryId = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('crypto_quotes')
        .addColumn('id', id, primaryId)
        .addColumn('order_id', bigint, (c) => c.notNull().references('orders.id').onDelete('cascade'))
        .addColumn('chain_id', bigint, (c) => c.notNull())
        // "native" or the token contract's address in lower case.
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('symbol', 'text', (c) => c.notNull())
        .addColumn('decimals', 'integer', (c) => c.notNull())
        // Base units as a decimal string: 18-decimal amounts do not fit a double.
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('tail', 'text', (c) => c.notNull())
        .addColumn('tail_modulus', 'text', (c) => c.notNull())
        .addColumn('receiving_address', 'text', (c) => c.notNull())
        .addColumn('from_block', bigint, (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('crypto_quotes_order_idx').on('crypto_quotes').columns(['order_id', 'id']).execute();
      await db.schema.createIndex('crypto_quotes_amount_idx').on('crypto_quotes').columns(['chain_id', 'token', 'amount']).execute();

      // A tail is held by one quote until `held_until`: a transfer's tail names its quote even when the amount is off.
      await db.schema
        .createTable('crypto_tails')
        .addColumn('chain_id', bigint, (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('tail', 'text', (c) => c.notNull())
        .addColumn('quote_id', bigint, (c) => c.notNull().references('crypto_quotes.id').onDelete('cascade'))
        .addColumn('held_until', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('crypto_tails_pk', ['chain_id', 'token', 'tail'])
        .execute();

      // Every block up to `scanned_to` has been read and its confirmed payments applied.
      await db.schema
        .createTable('chain_cursors')
        .addColumn('chain_id', bigint, (c) => c.primaryKey())
        .addColumn('scanned_to', bigint, (c) => c.notNull())
        // The newest block the node reported: what a sighting's confirmations are counted against.
        .addColumn('head', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .execute();

      // Transfers to a receiving address seen in a block not yet confirmed: shown to the buyer, never credited from here.
      await db.schema
        .createTable('crypto_sightings')
        .addColumn('chain_id', bigint, (c) => c.notNull())
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('log_index', 'integer', (c) => c.notNull())
        .addColumn('quote_id', bigint, (c) => c.notNull().references('crypto_quotes.id').onDelete('cascade'))
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('block_number', bigint, (c) => c.notNull())
        .addColumn('block_hash', 'text', (c) => c.notNull())
        .addColumn('seen_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('crypto_sightings_pk', ['chain_id', 'tx_hash', 'log_index'])
        .execute();
      await db.schema.createIndex('crypto_sightings_quote_idx').on('crypto_sightings').column('quote_id').execute();
    },
  };
}
