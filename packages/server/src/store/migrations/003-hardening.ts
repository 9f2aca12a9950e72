import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Issue 8: failure counters shared by every instance (failed signatures,
 * logins, sign-ups and console sign-ins), and usernames unique whatever their
 * case (`ALICE` beside `alice` is refused).
 */
export function hardeningMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rate_limit_counters')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('window_ends_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rate_limit_counters_window_ends_at').on('rate_limit_counters').column('window_ends_at').execute();

      const clashes = await sql<{ name: string }>`
        select lower(username) as name from accounts group by lower(username) having count(*) > 1`.execute(db);
      if (clashes.rows.length > 0) {
        throw new Error(
          `usernames that differ only in case exist (${clashes.rows.map((r) => r.name).join(', ')}): rename all but one of each before upgrading`,
        );
      }
      await sql`create unique index accounts_username_lower on accounts (lower(username))`.execute(db);
    },
  };
}
