import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Leases for background jobs that must run on one instance at a time (the
 * mail drain; later the chain watcher and sweeps): a row per job name, taken
 * or renewed in one statement, so two instances sharing the database never
 * both hold it. A holder that dies loses the lease when it expires.
 */

/**
 * Takes the lease `name` for `holder` until `now + ttlMs`, or renews it when
 * `holder` already has it. True when `holder` holds it afterwards.
 */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
  const row = await db
    .insertInto('job_leases')
    .values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: now + ttlMs })
        .where((eb) => eb.or([eb('job_leases.holder', '=', holder), eb('job_leases.expires_at', '<=', now)])),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Gives the lease up (at shutdown), so another instance can take it at once. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('job_leases').where('name', '=', name).where('holder', '=', holder).execute();
}
