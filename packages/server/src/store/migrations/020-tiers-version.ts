import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * A version number of the tier list (one row, `id` 1), raised by triggers in
 * the same transaction as every change to `tiers`, whoever makes it (the
 * console, the CLI, the seed, a migration or an operator's own SQL). Each
 * server holds the list in memory and reads only this number per request
 * (with the signer's row, or by primary key on the unauthenticated route),
 * reading the list again when the number has changed: an edit committed on
 * any instance shows in the next answer of every instance.
 *
 * The name sorts after `tiers`, so `admin db copy` (tables in name order)
 * copies the tiers first (raising nothing: the target's row is truncated) and
 * then this row with the source's value, which its checksum then matches.
 */
export function tiersVersionMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tiers_version')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('version', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into tiers_version (id, version) values (1, 1)`.execute(db);
      const bump = sql.raw('update tiers_version set version = version + 1 where id = 1');
      if (dialect === 'postgres') {
        await sql`create function tiers_version_bump() returns trigger language plpgsql as $$ begin ${bump}; return null; end $$`.execute(db);
        await sql`create trigger tiers_version_bump after insert or update or delete or truncate on tiers for each statement execute function tiers_version_bump()`.execute(db);
      } else {
        for (const event of ['insert', 'update', 'delete']) {
          await sql`create trigger ${sql.raw(`tiers_version_after_${event}`)} after ${sql.raw(event)} on tiers begin ${bump}; end`.execute(db);
        }
      }
    },
  };
}
