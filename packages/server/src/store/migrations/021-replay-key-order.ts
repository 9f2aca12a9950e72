import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * The replay records' primary key puts the nonce first: (nonce, api_key,
 * signature) instead of (api_key, nonce, signature). The same triple is
 * unique, so the same replays are refused; what changes is where a new row
 * lands. Nonces are milliseconds near the server's clock (the window refuses
 * others), so new rows go to the right edge of the index and a group commit
 * of many signers' rows writes a few pages, where keying by API key first
 * wrote one page per signer in the batch (on SQLite about 20 µs of CPU per
 * row against 8, most of it writing and checkpointing the WAL).
 *
 * SQLite cannot change a primary key in place: the table is rebuilt and its
 * rows copied (they must stay: each refuses a replay until it expires).
 */
export function replayKeyOrderMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`alter table replay_nonces drop constraint replay_nonces_pk, add constraint replay_nonces_pk primary key (nonce, api_key, signature)`.execute(db);
        return;
      }
      // One transaction (the migrator opens none on SQLite): a crash leaves the old table or the new one.
      await db.transaction().execute(async (trx) => {
        await trx.schema
          .createTable('replay_nonces_reordered')
          .addColumn('api_key', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('signature', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('replay_nonces_pk', ['nonce', 'api_key', 'signature'])
          .execute();
        await sql`insert into replay_nonces_reordered (api_key, nonce, signature, expires_at) select api_key, nonce, signature, expires_at from replay_nonces`.execute(trx);
        await trx.schema.dropTable('replay_nonces').execute();
        await sql`alter table replay_nonces_reordered rename to replay_nonces`.execute(trx);
        await trx.schema.createIndex('replay_nonces_expiry_idx').on('replay_nonces').column('expires_at').execute();
      });
    },
  };
}
