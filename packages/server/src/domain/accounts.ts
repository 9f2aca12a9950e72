import { z } from 'zod';
import type { AccountRow } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export const Username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,40}$/, 'Username must be 3 to 40 letters, digits, dots, dashes or underscores');
export const Email = z.string().trim().toLowerCase().email('Enter a valid email address').max(254);
export const Password = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(200, 'Password must be at most 200 characters');

export interface NewAccount {
  username: string;
  email: string;
  password: string;
}

export interface Account {
  id: number;
  username: string;
  email: string;
  createdAt: Date;
}

function toAccount(row: AccountRow): Account {
  return { id: Number(row.id), username: row.username, email: row.email, createdAt: new Date(Number(row.created_at)) };
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'Invalid value');
  return parsed.data;
}

export async function createAccount(ctx: DomainContext, input: NewAccount, ip: string | null = null): Promise<Account> {
  const username = parseOrThrow(Username, input.username);
  const email = parseOrThrow(Email, input.email);
  const password = parseOrThrow(Password, input.password);
  const { db } = ctx.store;
  const taken = await db
    .selectFrom('accounts')
    .select(['username', 'email'])
    .where((eb) => eb.or([eb('username', '=', username), eb('email', '=', email)]))
    .executeTakeFirst();
  if (taken !== undefined) {
    throw conflict(taken.username === username ? `Username "${username}" is taken` : 'An account with this email exists');
  }
  const passwordHash = await hashPassword(password);
  try {
    const row = await db
      .insertInto('accounts')
      .values({ username, email, password_hash: passwordHash, created_at: ctx.clock.now() })
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
  const row = await ctx.store.db.selectFrom('accounts').selectAll().where('username', '=', username.trim()).executeTakeFirst();
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

/** Checks a username-or-email and password; null when either is wrong (without saying which). */
export async function authenticatePassword(ctx: DomainContext, login: string, password: string): Promise<Account | null> {
  const key = login.trim();
  const row = await ctx.store.db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) => eb.or([eb('username', '=', key), eb('email', '=', key.toLowerCase())]))
    .executeTakeFirst();
  if (row === undefined) {
    // Spend the same work as a real check so timing does not reveal which accounts exist.
    await verifyPassword(password, DUMMY_HASH);
    return null;
  }
  return (await verifyPassword(password, row.password_hash)) ? toAccount(row) : null;
}

const DUMMY_HASH =
  'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
