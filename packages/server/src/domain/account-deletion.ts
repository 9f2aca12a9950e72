import { webMessages } from '@rotki-premium/protocol/web-api';
import { checkCurrentPassword } from './accounts.ts';
import { recordAudit } from './audit.ts';
import { deleteAllBackups } from './backup-history.ts';
import { deleteAccountUploads } from './backup-upload-removal.ts';
import type { Backups } from './backups.ts';
import type { DomainContext } from './context.ts';
import { DomainError, forbidden, invalid } from './errors.ts';
import { enqueueMail } from './mail/queue.ts';
import { checkSecondFactorCode } from './second-factor/subscriber-totp.ts';
import { currentSubscription } from './subscriptions.ts';

/** What confirms a deletion: the username typed, and the password or a current second-factor code. */
export interface DeletionConfirmation {
  username: string;
  password: string;
  code: string;
}

/** Refused while a subscription runs (as rotki.com): it would end without a refund. */
async function refuseWhileSubscribed(ctx: DomainContext, accountId: number): Promise<void> {
  const subscription = await currentSubscription(ctx, accountId);
  if (subscription?.isActive === true) {
    throw new DomainError(
      'conflict',
      `Your ${subscription.tier.name} subscription runs until ${subscription.periodEnd.toISOString().slice(0, 10)}: cancel it, and delete the account once it has ended.`,
    );
  }
}

/** The subscriber deletes their own account, confirmed by the typed username and the password or a second factor. */
export async function deleteOwnAccount(
  ctx: DomainContext,
  backups: Backups,
  accountId: number,
  confirmation: DeletionConfirmation,
  ip: string | null,
): Promise<void> {
  const row = await ctx.store.db.selectFrom('accounts').select('username').where('id', '=', accountId).executeTakeFirstOrThrow();
  if (confirmation.username.trim() !== row.username) throw invalid('Type your username exactly to confirm.');
  const confirmed =
    confirmation.password !== ''
      ? await checkCurrentPassword(ctx, accountId, confirmation.password)
      : confirmation.code !== '' && (await checkSecondFactorCode(ctx, accountId, confirmation.code)) !== null;
  if (!confirmed) throw new DomainError('forbidden', `${webMessages.wrongPassword()} Or enter a current code.`, 'wrong_credentials');
  await eraseAccount(ctx, backups, accountId, ip);
}

/**
 * Deletes an account: sessions, API credentials (the key stops working at
 * once), devices, backups (rows and bytes), second factors, tokens and
 * personal details go; the row stays under a pseudonym so payment records and
 * invoices, which the law keeps, still have an owner. The owner gets a last
 * mail. Used by the subscriber and by the operator (`admin account delete`).
 */
export async function eraseAccount(ctx: DomainContext, backups: Backups, accountId: number, ip: string | null): Promise<void> {
  await refuseWhileSubscribed(ctx, accountId);
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('accounts').select(['username', 'email', 'deleted_at']).where('id', '=', accountId).executeTakeFirstOrThrow();
    if (row.deleted_at !== null) throw forbidden('This account is deleted already.');
    for (const table of ['sessions', 'api_credentials', 'devices', 'device_replacements', 'account_tokens', 'recovery_codes', 'passkeys', 'auth_challenges'] as const) {
      await trx.deleteFrom(table).where('account_id', '=', accountId).execute();
    }
    const pseudonym = `deleted-${accountId}`;
    await trx
      .updateTable('accounts')
      .set({
        username: pseudonym,
        email: `${pseudonym}@deleted.invalid`,
        password_hash: '!',
        email_verified_at: null,
        totp_secret_ciphertext: null,
        totp_enabled_at: null,
        totp_last_step: null,
        full_name: null,
        company: null,
        vat_id: null,
        address: null,
        country: null,
        deleted_at: ctx.clock.now(),
      })
      .where('id', '=', accountId)
      .execute();
    await enqueueMail(trx, ctx.clock, { to: row.email, template: 'account-deleted', data: { username: row.username } });
    await recordAudit(trx, ctx.clock, { accountId, action: 'account.deleted', ip });
  });
  // The backup and its earlier versions (their bytes after the grace for downloads under way), then unfinished uploads.
  await deleteAllBackups(ctx, { blobs: backups.blobs, graceMs: backups.policy.supersededGraceMs }, accountId);
  await deleteAccountUploads(backups, accountId);
}
