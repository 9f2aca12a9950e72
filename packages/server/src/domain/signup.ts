import { webMessages } from '@rotki-premium/protocol/web-api';
import { consumeToken, issueToken, lastIssuedAt } from './account-tokens.ts';
import { createAccount, Email, findAccountByUsername, parseOrThrow, requireStrongPassword, spendPasswordCheck, Username } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { conflict, DomainError, invalid } from './errors.ts';
import { enqueueMail } from './mail/queue.ts';

/** How long a subscriber waits between two verification mails. */
export const RESEND_INTERVAL_MS = 5 * 60_000;
/** At most one "someone tried to sign up with your address" mail per account in this time. */
const SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS = 3600_000;

export interface SignupInput {
  username: string;
  email: string;
  password: string;
}

/**
 * Sign-up that says nothing about which e-mail addresses have accounts: a new
 * address gets an account and a verification link; an address that has an
 * account already gets a mail telling its owner, and the caller sees the same
 * answer either way (and spends the same password-hashing work). A taken
 * username is said, as usernames are chosen, not owned.
 */
export async function signUp(ctx: DomainContext, input: SignupInput, ip: string | null): Promise<{ created: boolean }> {
  const username = parseOrThrow(Username, input.username);
  const email = parseOrThrow(Email, input.email);
  const { db } = ctx.store;
  if ((await findAccountByUsername(ctx, username)) !== null) throw conflict(`Username "${username}" is taken`);
  const owner = await db.selectFrom('accounts').select(['id', 'username']).where('email', '=', email).executeTakeFirst();
  if (owner !== undefined) {
    await requireStrongPassword(input.password, [username, email]);
    await spendPasswordCheck(ctx, input.password);
    await noticeSignupAttempt(ctx, Number(owner.id), owner.username, email, ip);
    return { created: false };
  }
  let account;
  try {
    account = await createAccount(ctx, { username, email, password: input.password }, ip);
  } catch (error) {
    // The address was taken between the check and the insert: answer as for a taken address.
    if (error instanceof DomainError && error.kind === 'conflict' && /email/i.test(error.message)) return { created: false };
    throw error;
  }
  await sendVerificationMail(ctx, account.id);
  return { created: true };
}

async function noticeSignupAttempt(ctx: DomainContext, accountId: number, username: string, email: string, ip: string | null): Promise<void> {
  const { db } = ctx.store;
  const since = ctx.clock.now() - SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS;
  const recent = await db
    .selectFrom('audit_events')
    .select('id')
    .where('account_id', '=', accountId)
    .where('action', '=', 'signup.attempted')
    .where('created_at', '>', since)
    .executeTakeFirst();
  await recordAudit(db, ctx.clock, { accountId, action: 'signup.attempted', ip });
  if (recent === undefined) await enqueueMail(db, ctx.clock, { to: email, template: 'signup-attempt', data: { username } });
}

/** Mails a fresh verification link (48 hours, single use). */
export async function sendVerificationMail(ctx: DomainContext, accountId: number): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const token = await issueToken(trx, ctx.clock, accountId, 'verify_email');
    await enqueueMail(trx, ctx.clock, { to: row.email, template: 'verify-email', data: { username: row.username, token } });
  });
}

/** "Send the link again", at most once per `RESEND_INTERVAL_MS`; refused with how long to wait. */
export async function resendVerificationMail(ctx: DomainContext, accountId: number): Promise<void> {
  const row = await ctx.store.db.selectFrom('accounts').select('email_verified_at').where('id', '=', accountId).executeTakeFirstOrThrow();
  if (row.email_verified_at !== null) throw invalid('Your e-mail address is confirmed already.');
  const last = await lastIssuedAt(ctx.store.db, accountId, 'verify_email');
  const wait = last === null ? 0 : last + RESEND_INTERVAL_MS - ctx.clock.now();
  if (wait > 0) throw new DomainError('invalid', webMessages.tryAgainInMinutes(Math.ceil(wait / 60_000)), 'rate_limited');
  await sendVerificationMail(ctx, accountId);
}

/**
 * Confirms the address with a link from the mail. With `sessionAccountId`
 * (someone is logged in), the link must be that account's.
 */
export async function verifyEmail(ctx: DomainContext, token: string, sessionAccountId: number | null): Promise<{ accountId: number }> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await consumeToken(trx, ctx.clock, 'verify_email', token);
    const accountId = Number(row.account_id);
    if (sessionAccountId !== null && sessionAccountId !== accountId) {
      throw new DomainError('forbidden', webMessages.linkOfAnotherAccount(), 'bad_token');
    }
    await trx
      .updateTable('accounts')
      .set({ email_verified_at: ctx.clock.now() })
      .where('id', '=', accountId)
      .where('email_verified_at', 'is', null)
      .execute();
    await recordAudit(trx, ctx.clock, { accountId, action: 'email.verified' });
    return { accountId };
  });
}
