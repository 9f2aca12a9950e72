import { Email, parseOrThrow, requireAccount } from './accounts.ts';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { conflict } from './errors.ts';
import { enqueueMail } from './mail/queue.ts';
import { getProfile } from './profile.ts';
import { listPasskeys } from './second-factor/passkeys.ts';
import { recoveryCodesLeft } from './second-factor/recovery-codes.ts';
import { notifySecurityChange } from './security-notices.ts';
import { currentSubscription } from './subscriptions.ts';

/** What the operator can do for a subscriber locked out of their account (`admin account …`). */

export async function describeAccount(ctx: DomainContext, username: string) {
  const account = await requireAccount(ctx, username);
  const [profile, passkeys, left, subscription] = await Promise.all([
    getProfile(ctx, account.id),
    listPasskeys(ctx, account.id),
    recoveryCodesLeft(ctx.store.db, account.id),
    currentSubscription(ctx, account.id),
  ]);
  return {
    id: account.id,
    username: account.username,
    email: account.email,
    email_verified: account.emailVerified,
    created_at: account.createdAt.toISOString(),
    two_factor: { authenticator_app: account.totpEnabled, passkeys: passkeys.length, recovery_codes_left: left },
    profile,
    subscription:
      subscription === null
        ? null
        : { tier: subscription.tier.name, status: subscription.status, active: subscription.isActive, period_end: subscription.periodEnd.toISOString() },
  };
}

/** Sets the address (the operator vouches for it: confirmed); the old address is told. */
export async function operatorSetEmail(ctx: DomainContext, username: string, emailInput: string): Promise<void> {
  const email = parseOrThrow(Email, emailInput);
  const account = await requireAccount(ctx, username);
  await ctx.store.db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('accounts').select('id').where('email', '=', email).where('id', '!=', account.id).executeTakeFirst();
    if (taken !== undefined) throw conflict('Another account has this address');
    await trx.updateTable('accounts').set({ email, email_verified_at: ctx.clock.now() }).where('id', '=', account.id).execute();
    await trx.deleteFrom('account_tokens').where('account_id', '=', account.id).where('purpose', '=', 'change_email').execute();
    if (account.email !== email) {
      await enqueueMail(trx, ctx.clock, { to: account.email, template: 'email-changed', data: { username: account.username, newEmail: email } });
    }
    await recordAudit(trx, ctx.clock, { accountId: account.id, action: 'email.changed', detail: { from: account.email, to: email } });
  });
}

/** Removes every second factor (authenticator app, passkeys, recovery codes): the password alone signs in again. */
export async function operatorDisableSecondFactors(ctx: DomainContext, username: string): Promise<void> {
  const account = await requireAccount(ctx, username);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ totp_secret_ciphertext: null, totp_enabled_at: null, totp_last_step: null })
      .where('id', '=', account.id)
      .execute();
    await trx.deleteFrom('passkeys').where('account_id', '=', account.id).execute();
    await trx.deleteFrom('recovery_codes').where('account_id', '=', account.id).execute();
    await trx.deleteFrom('auth_challenges').where('account_id', '=', account.id).execute();
    await recordAudit(trx, ctx.clock, { accountId: account.id, action: 'totp.disabled', detail: { passkeys_removed: true } });
    await notifySecurityChange(trx, ctx.clock, account.id, 'totp_disabled');
  });
}
