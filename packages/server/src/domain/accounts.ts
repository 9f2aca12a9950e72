import { sql, type ExpressionBuilder } from 'kysely';
import type { z } from 'zod';
import { AccountEmail, AccountPassword, AccountUsername, webMessages } from '@rotki-premium/protocol/web-api';
import type { AccountRow, Database } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { conflict, DomainError, invalid, notFound } from './errors.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts';

/** One set of rules for the server and the sign-up form (the protocol package holds them). */
export const Username = AccountUsername;
export const Email = AccountEmail;
export const Password = AccountPassword;

export interface NewAccount {
  username: string;
  email: string;
  password: string;
  /** The address is vouched for (the operator made the account); else a link from a mail must prove it. */
  verified?: boolean;
}

export interface Account {
  id: number;
  username: string;
  email: string;
  createdAt: Date;
  emailVerified: boolean;
  totpEnabled: boolean;
}

export function toAccount(row: AccountRow): Account {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    createdAt: new Date(Number(row.created_at)),
    emailVerified: row.email_verified_at !== null,
    totpEnabled: row.totp_enabled_at !== null,
  };
}

/** Refuses (with `email_not_verified`) an account whose address no link has confirmed yet. */
export async function requireVerifiedEmail(ctx: DomainContext, accountId: number): Promise<void> {
  const row = await ctx.store.db.selectFrom('accounts').select('email_verified_at').where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) throw notFound('Account not found');
  if (row.email_verified_at === null) throw new DomainError('forbidden', webMessages.emailNotVerified(), 'email_not_verified');
}

/**
 * Refuses a password the strength estimator finds guessable, the account's
 * own names counting as known words. The estimator and its dictionaries load
 * on first use, so commands that set no password never load them.
 */
export async function requireStrongPassword(password: string, userInputs: string[]): Promise<string> {
  const checked = parseOrThrow(Password, password);
  const { passwordVerdict, weakPasswordMessage } = await import('@rotki-premium/protocol/password-strength');
  const verdict = passwordVerdict(checked, userInputs);
  if (!verdict.acceptable) throw new DomainError('invalid', weakPasswordMessage(verdict), 'weak_password');
  return checked;
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'Invalid value');
  return parsed.data;
}

export async function createAccount(ctx: DomainContext, input: NewAccount, ip: string | null = null): Promise<Account> {
  const username = parseOrThrow(Username, input.username);
  const email = parseOrThrow(Email, input.email);
  const password = await requireStrongPassword(input.password, [username, email]);
  const { db } = ctx.store;
  const taken = await db
    .selectFrom('accounts')
    .select(['username', 'email'])
    .where((eb) => eb.or([usernameIs(eb, username), eb('email', '=', email)]))
    .executeTakeFirst();
  if (taken !== undefined) {
    throw conflict(taken.username.toLowerCase() === username.toLowerCase() ? `Username "${username}" is taken` : 'An account with this email exists');
  }
  const passwordHash = await hashPassword(password, ctx.passwordHashCost);
  try {
    const row = await db
      .insertInto('accounts')
      .values({
        username,
        email,
        password_hash: passwordHash,
        created_at: ctx.clock.now(),
        email_verified_at: input.verified === true ? ctx.clock.now() : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(db, ctx.clock, { accountId: Number(row.id), action: 'account.created', ip });
    return toAccount(row);
  } catch (error) {
    // Two sign-ups racing for one name: the unique constraint decides.
    if (/unique|duplicate/i.test(String(error))) throw conflict('Username or email is taken');
    throw error;
  }
}

export async function findAccountByUsername(ctx: DomainContext, username: string): Promise<Account | null> {
  const row = await ctx.store.db.selectFrom('accounts').selectAll().where((eb) => usernameIs(eb, username)).executeTakeFirst();
  return row === undefined ? null : toAccount(row);
}

export async function requireAccount(ctx: DomainContext, username: string): Promise<Account> {
  const account = await findAccountByUsername(ctx, username);
  if (account === null) throw notFound(`No account with username "${username}"`);
  return account;
}

export async function getAccount(ctx: DomainContext, accountId: number): Promise<Account> {
  const row = await ctx.store.db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) throw notFound('Account not found');
  return toAccount(row);
}

/** Usernames are unique whatever their case (issue 8): `ALICE` names alice's account. */
function usernameIs(eb: ExpressionBuilder<Database, 'accounts'>, username: string) {
  return eb(sql<string>`lower(${eb.ref('accounts.username')})`, '=', username.trim().toLowerCase());
}

/** The account a username (in any case) or an e-mail address names. */
export async function findAccountRowByLogin(ctx: DomainContext, login: string): Promise<AccountRow | undefined> {
  const key = login.trim();
  return ctx.store.db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) => eb.or([usernameIs(eb, key), eb('email', '=', key.toLowerCase())]))
    .executeTakeFirst();
}

/** Checks the account's current password (for changes that need it). */
export async function checkCurrentPassword(ctx: DomainContext, accountId: number, password: string): Promise<boolean> {
  const row = await ctx.store.db.selectFrom('accounts').select('password_hash').where('id', '=', accountId).executeTakeFirst();
  return row !== undefined && (await verifyPassword(password, row.password_hash));
}

/** Spends the work of a password check when there is no account, so timing reveals nothing. */
export async function spendPasswordCheck(ctx: DomainContext, password: string): Promise<void> {
  await verifyPassword(password, dummyHash(ctx.passwordHashCost));
}

/** Checks a username-or-email and password; null when either is wrong (without saying which). */
export async function authenticatePassword(ctx: DomainContext, login: string, password: string): Promise<Account | null> {
  const row = await findAccountRowByLogin(ctx, login);
  if (row === undefined) {
    // Spend the same work as a real check so timing does not reveal which accounts exist.
    await spendPasswordCheck(ctx, password);
    return null;
  }
  if (!(await verifyPassword(password, row.password_hash))) return null;
  await rehashAtCurrentCost(ctx, row, password);
  return toAccount(row);
}

/**
 * A hash made at another cost than the configured one is replaced at a
 * correct login, so raising the cost reaches every account that signs in.
 * Only if the hash is still the one checked (a password change in between wins).
 */
async function rehashAtCurrentCost(ctx: DomainContext, row: AccountRow, password: string): Promise<void> {
  if (!needsRehash(row.password_hash, ctx.passwordHashCost)) return;
  const passwordHash = await hashPassword(password, ctx.passwordHashCost);
  await ctx.store.db
    .updateTable('accounts')
    .set({ password_hash: passwordHash })
    .where('id', '=', row.id)
    .where('password_hash', '=', row.password_hash)
    .execute();
}
