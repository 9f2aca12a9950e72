import type { Kysely } from 'kysely';

/**
 * The sweeps remove expired sessions in small batches, each found through an
 * index on the expiry (replay records and audit events have theirs already):
 * without one, every batch would read the whole table.
 */
export function sweepIndexesMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('sessions_expiry_idx').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('operator_sessions_expiry_idx').on('operator_sessions').column('expires_at').execute();
    },
  };
}
