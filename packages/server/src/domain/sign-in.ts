import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { authenticatePassword, findAccountRowByLogin } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { checkPasskeyLogin, hasPasskeys } from './second-factor/passkeys.ts';
import { checkSecondFactorCode, wrongCode } from './second-factor/subscriber-totp.ts';
import { createSession, hashSessionToken, randomToken, type IssuedSession, type SessionOrigin } from './sessions.ts';

/**
 * Website sign-in: the password, then (when the account has two-factor
 * sign-in) a second factor within five minutes — a code of the authenticator
 * app, a recovery code, or a passkey — or a passkey alone.
 */

const PENDING_TTL_MS = 5 * 60_000;
/** Wrong codes allowed for one password step; then the password is asked again. */
const PENDING_ATTEMPTS = 5;

export type SecondFactorMethod = 'totp' | 'passkey';

export interface SignInOptions extends SessionOrigin {
  ttlMs: number;
}

export type PasswordStepResult =
  | { kind: 'session'; issued: IssuedSession }
  | { kind: 'second_factor'; token: string; methods: SecondFactorMethod[] };

async function secondFactorsOf(ctx: DomainContext, accountId: number, totpEnabled: boolean): Promise<SecondFactorMethod[]> {
  const methods: SecondFactorMethod[] = [];
  if (totpEnabled) methods.push('totp');
  if (await hasPasskeys(ctx, accountId)) methods.push('passkey');
  return methods;
}

async function openSession(ctx: DomainContext, accountId: number, options: SignInOptions, via: string): Promise<IssuedSession> {
  const account = await ctx.store.db.selectFrom('accounts').select(['id', 'username']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const issued = await createSession(ctx, { id: Number(account.id), username: account.username }, options.ttlMs, options);
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'login.succeeded', detail: { via }, ip: options.ip ?? null });
  return issued;
}

/**
 * Checks a username-or-email and password: a session, a second factor due
 * (with a token for the browser to present with it), or null when either is
 * wrong. Every outcome is audited on the named account, if any.
 */
export async function passwordStep(ctx: DomainContext, login: string, password: string, options: SignInOptions): Promise<PasswordStepResult | null> {
  const ip = options.ip ?? null;
  const account = await authenticatePassword(ctx, login, password);
  if (account === null) {
    const named = await findAccountRowByLogin(ctx, login);
    await recordAudit(ctx.store.db, ctx.clock, { accountId: named === undefined ? null : Number(named.id), action: 'login.failed', ip });
    return null;
  }
  const methods = await secondFactorsOf(ctx, account.id, account.totpEnabled);
  if (methods.length === 0) return { kind: 'session', issued: await openSession(ctx, account.id, options, 'password') };
  const token = randomToken();
  const now = ctx.clock.now();
  await ctx.store.db.deleteFrom('auth_challenges').where('expires_at', '<=', now).execute();
  await ctx.store.db
    .insertInto('auth_challenges')
    .values({
      token_hash: hashSessionToken(token),
      kind: 'second_factor',
      account_id: account.id,
      challenge: null,
      attempts: 0,
      created_at: now,
      expires_at: now + PENDING_TTL_MS,
    })
    .execute();
  return { kind: 'second_factor', token, methods };
}

/** The account whose password step `token` finished, while it is live. */
export async function pendingAccount(ctx: DomainContext, token: string): Promise<number | null> {
  const row = await ctx.store.db
    .selectFrom('auth_challenges')
    .select(['account_id', 'expires_at'])
    .where('token_hash', '=', hashSessionToken(token))
    .where('kind', '=', 'second_factor')
    .executeTakeFirst();
  if (row === undefined || row.account_id === null || Number(row.expires_at) <= ctx.clock.now()) return null;
  return Number(row.account_id);
}

async function endPending(ctx: DomainContext, token: string): Promise<void> {
  await ctx.store.db.deleteFrom('auth_challenges').where('token_hash', '=', hashSessionToken(token)).execute();
}

/** The second step with a TOTP or recovery code; a wrong code counts against the step's attempts. */
export async function codeStep(ctx: DomainContext, token: string, code: string, options: SignInOptions): Promise<IssuedSession | null> {
  const accountId = await pendingAccount(ctx, token);
  if (accountId === null) return null;
  const used = await checkSecondFactorCode(ctx, accountId, code);
  if (used === null) {
    const { db } = ctx.store;
    await db
      .updateTable('auth_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('token_hash', '=', hashSessionToken(token))
      .execute();
    const row = await db.selectFrom('auth_challenges').select('attempts').where('token_hash', '=', hashSessionToken(token)).executeTakeFirst();
    if (row !== undefined && row.attempts >= PENDING_ATTEMPTS) await endPending(ctx, token);
    await recordAudit(db, ctx.clock, { accountId, action: 'login.second_factor_failed', ip: options.ip ?? null });
    throw wrongCode();
  }
  await endPending(ctx, token);
  return openSession(ctx, accountId, options, used);
}

/**
 * Sign-in with a passkey: as the second step of `pendingToken`'s sign-in
 * (the passkey must be that account's), or alone (password-less).
 */
export async function passkeyStep(
  ctx: DomainContext,
  pendingToken: string | null,
  response: AuthenticationResponseJSON,
  options: SignInOptions,
): Promise<IssuedSession | null> {
  const expected = pendingToken === null ? null : await pendingAccount(ctx, pendingToken);
  if (pendingToken !== null && expected === null) return null;
  const accountId = await checkPasskeyLogin(ctx, response, expected);
  if (pendingToken !== null) await endPending(ctx, pendingToken);
  return openSession(ctx, accountId, options, 'passkey');
}
