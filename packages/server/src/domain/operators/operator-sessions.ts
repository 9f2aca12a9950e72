import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { hashSessionToken, randomToken } from '../sessions.ts';
import { checkOperatorPassword, toOperator, totpSecretContext, type Operator } from './operators.ts';
import { acceptedTotpStep, newTotpSecret, totpUri } from '../second-factor/totp.ts';

/**
 * Console sign-in in two steps, each its own session row: the password opens a
 * short `password` session that can do nothing but present the second factor;
 * a valid code replaces it with a `full` session under a new token.
 */
export const PASSWORD_STAGE_TTL_MS = 10 * 60 * 1000;
export const OPERATOR_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export interface OperatorSession {
  id: number;
  operator: Operator;
  stage: 'password' | 'full';
  csrfToken: string;
}

export interface IssuedOperatorSession {
  /** The cookie value; only its hash is stored. */
  token: string;
  session: OperatorSession;
}

export type PasswordOutcome =
  | { next: 'totp'; issued: IssuedOperatorSession }
  | { next: 'enrol'; issued: IssuedOperatorSession; secret: string; otpauthUri: string };

async function openSession(ctx: DomainContext, operator: Operator, stage: OperatorSession['stage'], ttlMs: number): Promise<IssuedOperatorSession> {
  const now = ctx.clock.now();
  const token = randomToken();
  const csrfToken = randomToken();
  const { db } = ctx.store;
  await db.deleteFrom('operator_sessions').where('operator_id', '=', operator.id).where('expires_at', '<=', now).execute();
  const row = await db
    .insertInto('operator_sessions')
    .values({ operator_id: operator.id, token_hash: hashSessionToken(token), csrf_token: csrfToken, stage, created_at: now, expires_at: now + ttlMs })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { token, session: { id: Number(row.id), operator, stage, csrfToken } };
}

/**
 * Step one. Null when the name or password is wrong (audited on no account,
 * with the name tried). An operator without an authenticator gets a new secret
 * to set up, replacing any earlier one that was never confirmed.
 */
export async function signInWithPassword(ctx: DomainContext, username: string, password: string, ip: string | null): Promise<PasswordOutcome | null> {
  const row = await checkOperatorPassword(ctx, username, password);
  if (row === null) {
    await recordAudit(ctx.store.db, ctx.clock, { accountId: null, action: 'operator.sign_in_failed', detail: { operator: username.slice(0, 100) }, ip });
    return null;
  }
  const operator = toOperator(row);
  const issued = await openSession(ctx, operator, 'password', PASSWORD_STAGE_TTL_MS);
  if (row.totp_enabled_at !== null) return { next: 'totp', issued };
  const secret = newTotpSecret();
  await ctx.store.db
    .updateTable('operators')
    .set({ totp_secret_ciphertext: ctx.keyRing.encrypt(secret, totpSecretContext(operator.id)), totp_last_step: null })
    .where('id', '=', operator.id)
    .execute();
  return { next: 'enrol', issued, secret, otpauthUri: totpUri(secret, { issuer: 'rotki premium console', account: operator.username }) };
}

/**
 * Step two: the code from the authenticator (at the first sign-in it also
 * confirms the setup). Null when the code is wrong or was used already; on
 * success the password session is gone and a full one is issued.
 */
export async function completeSecondFactor(ctx: DomainContext, pending: OperatorSession, code: string, ip: string | null): Promise<IssuedOperatorSession | null> {
  const { db } = ctx.store;
  const row = await db.selectFrom('operators').selectAll().where('id', '=', pending.operator.id).executeTakeFirst();
  if (row === undefined || row.disabled_at !== null || row.totp_secret_ciphertext === null) return null;
  const secret = ctx.keyRing.decrypt(row.totp_secret_ciphertext, totpSecretContext(Number(row.id)));
  const now = ctx.clock.now();
  const step = acceptedTotpStep(secret, code, now, row.totp_last_step === null ? null : Number(row.totp_last_step));
  if (step === null) {
    await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.sign_in_failed', detail: { operator: row.username, step: 'code' }, ip });
    return null;
  }
  // The step is stored only if no other request took it first: a code works once.
  const taken = await db
    .updateTable('operators')
    .set({ totp_last_step: step, totp_enabled_at: row.totp_enabled_at ?? now })
    .where('id', '=', row.id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return null;
  await db.deleteFrom('operator_sessions').where('id', '=', pending.id).execute();
  const operator = toOperator({ ...row, totp_enabled_at: row.totp_enabled_at ?? now });
  if (row.totp_enabled_at === null) {
    await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.second_factor_enrolled', detail: { operator: row.username }, ip });
  }
  await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.signed_in', detail: { operator: row.username }, ip });
  return openSession(ctx, operator, 'full', OPERATOR_SESSION_TTL_MS);
}

/** The live session a console cookie names, or null. */
export async function findOperatorSession(ctx: DomainContext, token: string): Promise<OperatorSession | null> {
  const row = await ctx.store.db
    .selectFrom('operator_sessions')
    .innerJoin('operators', 'operators.id', 'operator_sessions.operator_id')
    .selectAll('operators')
    .select(['operator_sessions.id as session_id', 'operator_sessions.stage', 'operator_sessions.csrf_token', 'operator_sessions.expires_at'])
    .where('operator_sessions.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  if (row === undefined || Number(row.expires_at) <= ctx.clock.now() || row.disabled_at !== null) return null;
  return { id: Number(row.session_id), operator: toOperator(row), stage: row.stage, csrfToken: row.csrf_token };
}

export async function endOperatorSession(ctx: DomainContext, sessionId: number): Promise<void> {
  await ctx.store.db.deleteFrom('operator_sessions').where('id', '=', sessionId).execute();
}
