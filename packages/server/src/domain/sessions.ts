import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account } from './accounts.ts';
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

/** Where a session was opened from, for the Account page's list. */
export interface SessionOrigin {
  ip?: string | null;
  userAgent?: string | null;
}

/** How often the last-seen time of a session is written (not at every request). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export async function createSession(
  ctx: DomainContext,
  account: Pick<Account, 'id' | 'username'>,
  ttlMs: number,
  origin: SessionOrigin = {},
): Promise<IssuedSession> {
  const now = ctx.clock.now();
  const token = randomToken();
  const csrfToken = randomToken();
  const { db } = ctx.store;
  // Old sessions of this account are dropped here rather than by a timer.
  await db.deleteFrom('sessions').where('account_id', '=', account.id).where('expires_at', '<=', now).execute();
  const row = await db
    .insertInto('sessions')
    .values({
      account_id: account.id,
      token_hash: hashSessionToken(token),
      csrf_token: csrfToken,
      created_at: now,
      expires_at: now + ttlMs,
      ip: origin.ip ?? null,
      user_agent: origin.userAgent?.slice(0, 300) ?? null,
      last_seen_at: now,
    })
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
    .select(['sessions.id', 'sessions.account_id', 'sessions.csrf_token', 'sessions.expires_at', 'sessions.last_seen_at', 'accounts.username'])
    .where('sessions.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  const now = ctx.clock.now();
  if (row === undefined || Number(row.expires_at) <= now) return null;
  if (row.last_seen_at === null || now - Number(row.last_seen_at) >= LAST_SEEN_RESOLUTION_MS) {
    await ctx.store.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  }
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

export interface SessionInfo {
  id: number;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
}

/** The live sessions of an account, most recently seen first. */
export async function listSessions(ctx: DomainContext, accountId: number): Promise<SessionInfo[]> {
  const rows = await ctx.store.db
    .selectFrom('sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('expires_at', '>', ctx.clock.now())
    .execute();
  return rows
    .map((row) => ({
      id: Number(row.id),
      ip: row.ip,
      userAgent: row.user_agent,
      createdAt: new Date(Number(row.created_at)),
      lastSeenAt: new Date(Number(row.last_seen_at ?? row.created_at)),
    }))
    .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || b.id - a.id);
}

/** Ends one session of the account (not another account's); false when there is none by that id. */
export async function endSession(ctx: DomainContext, accountId: number, sessionId: number): Promise<boolean> {
  const result = await ctx.store.db.deleteFrom('sessions').where('account_id', '=', accountId).where('id', '=', sessionId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Ends every session of the account but `keepSessionId`. */
export async function endOtherSessions(ctx: DomainContext, accountId: number, keepSessionId: number): Promise<number> {
  const result = await ctx.store.db.deleteFrom('sessions').where('account_id', '=', accountId).where('id', '!=', keepSessionId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Ends every website session of an account (the operator's "log out everywhere"). */
export async function deleteAccountSessions(ctx: DomainContext, accountId: number): Promise<number> {
  const result = await ctx.store.db.deleteFrom('sessions').where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
