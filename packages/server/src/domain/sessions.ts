import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { authenticatePassword, type Account } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';

/**
 * Website logins. The token lives only in the subscriber's cookie; the
 * database keeps its SHA-256, so a leaked database row cannot be replayed as a
 * cookie. Each session carries its own CSRF token.
 */
export interface WebSession {
  id: number;
  accountId: number;
  username: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface IssuedSession {
  /** The cookie value; never stored. */
  token: string;
  session: WebSession;
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two tokens of any length (both are hashed first). */
export function tokensMatch(expected: string, received: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(received, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length === received.length;
}

export async function createSession(ctx: DomainContext, account: Pick<Account, 'id' | 'username'>, ttlMs: number): Promise<IssuedSession> {
  const now = ctx.clock.now();
  const token = randomToken();
  const csrfToken = randomToken();
  const { db } = ctx.store;
  // Old sessions of this account are dropped here rather than by a timer.
  await db.deleteFrom('sessions').where('account_id', '=', account.id).where('expires_at', '<=', now).execute();
  const row = await db
    .insertInto('sessions')
    .values({ account_id: account.id, token_hash: hashSessionToken(token), csrf_token: csrfToken, created_at: now, expires_at: now + ttlMs })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    token,
    session: { id: Number(row.id), accountId: account.id, username: account.username, csrfToken, expiresAt: new Date(now + ttlMs) },
  };
}

/** The live session a cookie names, or null when it is unknown or expired. */
export async function findSession(ctx: DomainContext, token: string): Promise<WebSession | null> {
  const row = await ctx.store.db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select(['sessions.id', 'sessions.account_id', 'sessions.csrf_token', 'sessions.expires_at', 'accounts.username'])
    .where('sessions.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  if (row === undefined || Number(row.expires_at) <= ctx.clock.now()) return null;
  return {
    id: Number(row.id),
    accountId: Number(row.account_id),
    username: row.username,
    csrfToken: row.csrf_token,
    expiresAt: new Date(Number(row.expires_at)),
  };
}

export async function deleteSession(ctx: DomainContext, token: string): Promise<void> {
  await ctx.store.db.deleteFrom('sessions').where('token_hash', '=', hashSessionToken(token)).execute();
}

/** Ends every website session of an account (the operator's "log out everywhere"). */
export async function deleteAccountSessions(ctx: DomainContext, accountId: number): Promise<number> {
  const result = await ctx.store.db.deleteFrom('sessions').where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Checks a username-or-email and password and opens a session; null when
 * either is wrong. Both outcomes are audited on the named account, if any.
 */
export async function logIn(
  ctx: DomainContext,
  login: string,
  password: string,
  options: { ttlMs: number; ip?: string | null },
): Promise<IssuedSession | null> {
  const ip = options.ip ?? null;
  const account = await authenticatePassword(ctx, login, password);
  if (account === null) {
    const key = login.trim();
    const named = await ctx.store.db
      .selectFrom('accounts')
      .select('id')
      .where((eb) => eb.or([eb('username', '=', key), eb('email', '=', key.toLowerCase())]))
      .executeTakeFirst();
    await recordAudit(ctx.store.db, ctx.clock, { accountId: named === undefined ? null : Number(named.id), action: 'login.failed', ip });
    return null;
  }
  const issued = await createSession(ctx, account, options.ttlMs);
  await recordAudit(ctx.store.db, ctx.clock, { accountId: account.id, action: 'login.succeeded', ip });
  return issued;
}
