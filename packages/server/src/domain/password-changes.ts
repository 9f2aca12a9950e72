import { webMessages } from '@rotki-premium/protocol/web-api';
import { consumeToken, issueToken, lastIssuedAt, retireTokens } from './account-tokens.ts';
import { checkCurrentPassword, findAccountRowByLogin, requireStrongPassword } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { DomainError } from './errors.ts';
import { enqueueMail } from './mail/queue.ts';
import { hashPassword } from './passwords.ts';
import { notifySecurityChange } from './security-notices.ts';
import { hashSessionToken } from './sessions.ts';

/** One reset mail per account in this time, whatever the number of requests. */
const RESET_MAIL_INTERVAL_MS = 60_000;

/**
 * "Forgot password?": mails a reset link (1 hour, single use) when `login`
 * names an account (at most one a minute, unless the operator forces it).
 * The caller answers the same either way.
 */
export async function requestPasswordReset(ctx: DomainContext, login: string, ip: string | null, options: { force?: boolean } = {}): Promise<boolean> {
  const row = await findAccountRowByLogin(ctx, login);
  if (row === undefined || row.deleted_at !== null) return false;
  const accountId = Number(row.id);
  const last = await lastIssuedAt(ctx.store.db, accountId, 'reset_password');
  if (options.force !== true && last !== null && ctx.clock.now() - last < RESET_MAIL_INTERVAL_MS) return false;
  await ctx.store.db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, ctx.clock, accountId, 'reset_password');
    await enqueueMail(trx, ctx.clock, { to: row.email, template: 'password-reset', data: { username: row.username, token } });
    await recordAudit(trx, ctx.clock, { accountId, action: 'password.reset_requested', ip });
  });
  return true;
}

async function setPassword(ctx: DomainContext, accountId: number, password: string): Promise<string> {
  const account = await ctx.store.db.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const checked = await requireStrongPassword(password, [account.username, account.email]);
  return hashPassword(checked, ctx.passwordHashCost);
}

/**
 * Sets a new password with a reset link. Every session of the account ends
 * (whoever knew the old password is logged out), and unused reset links die.
 */
export async function resetPassword(ctx: DomainContext, token: string, password: string, ip: string | null): Promise<{ accountId: number }> {
  const { db } = ctx.store;
  // Checked before the token is spent, so a weak password does not burn the link.
  const peek = await db
    .selectFrom('account_tokens')
    .select('account_id')
    .where('purpose', '=', 'reset_password')
    .where('token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  const hash = peek === undefined ? null : await setPassword(ctx, Number(peek.account_id), password);
  return db.transaction().execute(async (trx) => {
    const row = await consumeToken(trx, ctx.clock, 'reset_password', token);
    const accountId = Number(row.account_id);
    if (hash === null) throw new DomainError('invalid', webMessages.linkInvalid(), 'bad_token');
    await trx.updateTable('accounts').set({ password_hash: hash }).where('id', '=', accountId).execute();
    await trx.deleteFrom('sessions').where('account_id', '=', accountId).execute();
    await retireTokens(trx, ctx.clock, accountId, 'reset_password');
    await recordAudit(trx, ctx.clock, { accountId, action: 'password.reset', ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'password_reset');
    return { accountId };
  });
}

/** Changes the password given the current one; every other session ends. */
export async function changePassword(
  ctx: DomainContext,
  accountId: number,
  keepSessionId: number,
  currentPassword: string,
  password: string,
  ip: string | null,
): Promise<void> {
  if (!(await checkCurrentPassword(ctx, accountId, currentPassword))) {
    throw new DomainError('forbidden', webMessages.wrongPassword(), 'wrong_credentials');
  }
  const hash = await setPassword(ctx, accountId, password);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.updateTable('accounts').set({ password_hash: hash }).where('id', '=', accountId).execute();
    await trx.deleteFrom('sessions').where('account_id', '=', accountId).where('id', '!=', keepSessionId).execute();
    await retireTokens(trx, ctx.clock, accountId, 'reset_password');
    await recordAudit(trx, ctx.clock, { accountId, action: 'password.changed', ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'password_changed');
  });
}
