import { createHash, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { Clock } from '../clock.ts';

/**
 * Ten single-use recovery codes per account with two-factor sign-in, for a
 * lost authenticator. Each is 10 characters of an unambiguous alphabet (50
 * random bits), shown once as `xxxxx-xxxxx`; only a SHA-256 of each is kept.
 */

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const CODE_LENGTH = 10;

function normalise(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function hashCode(code: string): string {
  return createHash('sha256').update(`rotki-premium recovery code:${normalise(code)}`, 'utf8').digest('hex');
}

/** Whether `code` looks like a recovery code rather than a 6-digit TOTP code. */
export function isRecoveryCodeShape(code: string): boolean {
  return normalise(code).length === CODE_LENGTH && !/^\d+$/.test(normalise(code));
}

/** Replaces the account's codes with ten new ones; the only time they are seen in clear. */
export async function replaceRecoveryCodes(db: Kysely<Database>, accountId: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({ account_id: accountId, code_hash: hashCode(code), used_at: null })))
    .execute();
  return codes;
}

/** Spends one unused code of the account; false when it is not one (or was used). */
export async function spendRecoveryCode(db: Kysely<Database>, clock: Clock, accountId: number, code: string): Promise<boolean> {
  if (!isRecoveryCodeShape(code)) return false;
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: clock.now() })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', hashCode(code))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recoveryCodesLeft(db: Kysely<Database>, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
