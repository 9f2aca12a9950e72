import type { Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * What each server instance reports every half minute: that it is alive
 * (heartbeats, for the console's System page) and hourly counts of events
 * too frequent to audit one by one (failed signatures), summed over instances.
 */
export function instanceTelemetryMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('instance_heartbeats')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('started_at', bigint, (c) => c.notNull())
        .addColumn('last_seen_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('activity_counts')
        .addColumn('hour_start', bigint, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('count', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('activity_counts_pk', ['hour_start', 'name'])
        .execute();
    },
  };
}
