import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { secretContext } from './credentials.ts';
import type { KeyRing } from './keyring.ts';
import { totpSecretContext } from './operators/operators.ts';

/** A process whose master key is not the one the database's secrets are encrypted under. */
export class MasterKeyMismatchError extends Error {
  constructor(held: string[], expected: string) {
    super(
      `The master key of this process (fingerprint ${held.join(', ')}) is not the one this database's secrets are encrypted under ` +
        `(fingerprint ${expected}). Nothing was written. Use the server's key: set ROTKI_PREMIUM_MASTER_KEY to it, or give --data the ` +
        'folder holding its master.key. To change keys, see "admin master-key rotate" in docs/security.md.',
    );
    this.name = 'MasterKeyMismatchError';
  }
}

/** Every stored ciphertext: table, key columns and the context it is bound to. */
interface SecretColumn {
  table: 'api_credentials' | 'operators';
  id: 'account_id' | 'id';
  column: 'secret_ciphertext' | 'totp_secret_ciphertext';
  context: (id: number) => string;
}

export const SECRET_COLUMNS: readonly SecretColumn[] = [
  { table: 'api_credentials', id: 'account_id', column: 'secret_ciphertext', context: secretContext },
  { table: 'operators', id: 'id', column: 'totp_secret_ciphertext', context: totpSecretContext },
];

/** The stored ciphertexts of one column (all, or the first `limit`). */
async function storedSecrets(db: Kysely<Database>, secret: SecretColumn, limit?: number): Promise<{ id: number; stored: string }[]> {
  const rows = await sql<{ id: number | string; stored: string }>`
    select ${sql.ref(secret.id)} as id, ${sql.ref(secret.column)} as stored from ${sql.table(secret.table)}
    where ${sql.ref(secret.column)} is not null ${limit === undefined ? sql`` : sql`limit ${limit}`}`.execute(db);
  return rows.rows.map((row) => ({ id: Number(row.id), stored: row.stored }));
}

async function sampleSecret(db: Kysely<Database>): Promise<{ stored: string; context: string } | null> {
  for (const secret of SECRET_COLUMNS) {
    const [row] = await storedSecrets(db, secret, 1);
    if (row !== undefined) return { stored: row.stored, context: secret.context(row.id) };
  }
  return null;
}

/**
 * Checks, before anything is written, that this process holds the database's
 * current master key (its fingerprint is stored, never the key). The first
 * process records its own; a database from before the check is verified by
 * decrypting one stored secret.
 */
export async function checkMasterKey(db: Kysely<Database>, keyRing: KeyRing, nowMs: number): Promise<void> {
  const held = keyRing.fingerprints();
  const current = await db.selectFrom('master_keys').select('fingerprint').where('state', '=', 'current').executeTakeFirst();
  if (current !== undefined) {
    if (!held.includes(current.fingerprint)) throw new MasterKeyMismatchError(held, current.fingerprint);
    return;
  }
  const sample = await sampleSecret(db);
  if (sample !== null) {
    try {
      keyRing.decrypt(sample.stored, sample.context);
    } catch {
      throw new MasterKeyMismatchError(held, 'unknown: recorded before this check existed');
    }
  }
  await db
    .insertInto('master_keys')
    .values({ fingerprint: keyRing.fingerprint(), state: 'current', created_at: nowMs, retired_at: null })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .execute();
}

export interface RotationReport {
  /** Secrets re-encrypted under the new key by this run. */
  reencrypted: number;
  current: string;
  retired: string[];
}

/**
 * Re-encrypts every stored secret that is not under `keyRing`'s primary key
 * (reading with any key it holds), row by row, then records the primary as
 * current and the others as retired. Safe to run again after a crash: rows
 * already under the new key are skipped, and until the end the old key stays
 * the database's current one.
 */
export async function rotateMasterKey(db: Kysely<Database>, keyRing: KeyRing, nowMs: number): Promise<RotationReport> {
  await checkMasterKey(db, keyRing, nowMs);
  let reencrypted = 0;
  for (const secret of SECRET_COLUMNS) {
    for (const row of await storedSecrets(db, secret)) {
      if (!keyRing.needsRotation(row.stored)) continue;
      const context = secret.context(row.id);
      const fresh = keyRing.encrypt(keyRing.decrypt(row.stored, context), context);
      // Only if nobody changed the row meanwhile (a regeneration writes under the new key already).
      const result = await sql`
        update ${sql.table(secret.table)} set ${sql.ref(secret.column)} = ${fresh}
        where ${sql.ref(secret.id)} = ${row.id} and ${sql.ref(secret.column)} = ${row.stored}`.execute(db);
      reencrypted += Number(result.numAffectedRows ?? 0);
    }
  }
  const current = keyRing.fingerprint();
  const retired = keyRing.fingerprints().filter((fingerprint) => fingerprint !== current);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('master_keys').set({ state: 'retired', retired_at: nowMs }).where('state', '=', 'current').where('fingerprint', '!=', current).execute();
    await trx
      .insertInto('master_keys')
      .values({ fingerprint: current, state: 'current', created_at: nowMs, retired_at: null })
      .onConflict((oc) => oc.column('fingerprint').doUpdateSet({ state: 'current', retired_at: null }))
      .execute();
  });
  return { reencrypted, current, retired };
}
