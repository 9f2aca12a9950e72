import { webMessages } from '@rotki-premium/protocol/web-api';
import { consumeToken, issueToken } from './account-tokens.ts';
import { checkCurrentPassword, Email, parseOrThrow } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { DomainError, invalid } from './errors.ts';
import { enqueueMail } from './mail/queue.ts';

/**
 * Asks to change the account's address: a link goes to the new address, and
 * the account keeps its current one until it is opened. Whether the new
 * address belongs to another account is not said here (the confirmation
 * refuses it).
 */
export async function requestEmailChange(
  ctx: DomainContext,
  accountId: number,
  newEmailInput: string,
  currentPassword: string,
  ip: string | null,
): Promise<{ newEmail: string }> {
  const newEmail = parseOrThrow(Email, newEmailInput);
  if (!(await checkCurrentPassword(ctx, accountId, currentPassword))) {
    throw new DomainError('forbidden', webMessages.wrongPassword(), 'wrong_credentials');
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirstOrThrow();
    if (row.email === newEmail) throw invalid('This is your current address already.');
    const token = await issueToken(trx, ctx.clock, accountId, 'change_email', newEmail);
    await enqueueMail(trx, ctx.clock, { to: newEmail, template: 'email-change-verify', data: { username: row.username, token, newEmail } });
    await recordAudit(trx, ctx.clock, { accountId, action: 'email.change_requested', ip });
  });
  return { newEmail };
}

/** Opens the link sent to the new address: it becomes the account's (verified), and the old address is told. */
export async function confirmEmailChange(ctx: DomainContext, token: string, sessionAccountId: number | null): Promise<{ email: string }> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await consumeToken(trx, ctx.clock, 'change_email', token);
    const accountId = Number(row.account_id);
    if (sessionAccountId !== null && sessionAccountId !== accountId) {
      throw new DomainError('forbidden', webMessages.linkOfAnotherAccount(), 'bad_token');
    }
    const newEmail = row.new_email ?? '';
    const taken = await trx.selectFrom('accounts').select('id').where('email', '=', newEmail).executeTakeFirst();
    if (taken !== undefined) throw new DomainError('conflict', 'This address belongs to another account now; choose another one.');
    const account = await trx.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const now = ctx.clock.now();
    await trx.updateTable('accounts').set({ email: newEmail, email_verified_at: now }).where('id', '=', accountId).execute();
    await enqueueMail(trx, ctx.clock, { to: account.email, template: 'email-changed', data: { username: account.username, newEmail } });
    await enqueueMail(trx, ctx.clock, {
      to: newEmail,
      template: 'security-notice',
      data: { username: account.username, event: 'email_changed', detail: newEmail },
    });
    await recordAudit(trx, ctx.clock, { accountId, action: 'email.changed', detail: { from: account.email, to: newEmail } });
    return { email: newEmail };
  });
}
