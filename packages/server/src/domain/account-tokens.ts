import type { Kysely } from 'kysely';
import { webMessages } from '@rotki-premium/protocol/web-api';
import type { AccountTokenPurpose, AccountTokenRow } from '../store/account-security.table.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';
import { DomainError } from './errors.ts';
import { hashSessionToken, randomToken } from './sessions.ts';

/**
 * Single-use links sent by mail. The token (256 random bits) is only in the
 * mail; the database keeps its SHA-256, so a leaked row opens nothing.
 */

export const TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  verify_email: 48 * 3600_000,
  change_email: 48 * 3600_000,
  reset_password: 3600_000,
};

/** A link that cannot be used: unknown (tampered), of another purpose, expired, or used. */
export class TokenError extends DomainError {
  constructor(message: string) {
    super('invalid', message, 'bad_token');
    this.name = 'TokenError';
  }
}

export async function issueToken(
  db: Kysely<Database>,
  clock: Clock,
  accountId: number,
  purpose: AccountTokenPurpose,
  newEmail: string | null = null,
): Promise<string> {
  const token = randomToken();
  const now = clock.now();
  await db
    .insertInto('account_tokens')
    .values({
      account_id: accountId,
      purpose,
      token_hash: hashSessionToken(token),
      new_email: newEmail,
      created_at: now,
      expires_at: now + TOKEN_TTL_MS[purpose],
      used_at: null,
    })
    .execute();
  return token;
}

/** When the newest token of this purpose was issued to the account (for "try again in N minutes"). */
export async function lastIssuedAt(db: Kysely<Database>, accountId: number, purpose: AccountTokenPurpose): Promise<number | null> {
  const row = await db
    .selectFrom('account_tokens')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

/**
 * Uses a token once: marks it used (only one of two concurrent requests
 * wins) and returns its row. Refused with a message that says why, and
 * nothing about any account.
 */
export async function consumeToken(
  db: Kysely<Database>,
  clock: Clock,
  purpose: AccountTokenPurpose,
  token: string,
): Promise<AccountTokenRow> {
  const row = await db.selectFrom('account_tokens').selectAll().where('token_hash', '=', hashSessionToken(token)).executeTakeFirst();
  if (row === undefined || row.purpose !== purpose) throw new TokenError(webMessages.linkInvalid());
  if (row.used_at !== null) throw new TokenError(webMessages.linkUsed());
  const now = clock.now();
  if (Number(row.expires_at) <= now) throw new TokenError(webMessages.linkExpired());
  const result = await db
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new TokenError(webMessages.linkUsed());
  return { ...row, used_at: now };
}

/** Retires every unused token of a purpose (a newer one was sent, or the password changed). */
export async function retireTokens(db: Kysely<Database>, clock: Clock, accountId: number, purpose: AccountTokenPurpose): Promise<void> {
  await db
    .updateTable('account_tokens')
    .set({ used_at: clock.now() })
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}
