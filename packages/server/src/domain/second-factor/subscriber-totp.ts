import { webMessages } from '@rotki-premium/protocol/web-api';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { DomainError, invalid } from '../errors.ts';
import { notifySecurityChange } from '../security-notices.ts';
import { replaceRecoveryCodes, spendRecoveryCode } from './recovery-codes.ts';
import { acceptedTotpStep, newTotpSecret, totpUri } from './totp.ts';

/** A subscriber's authenticator app (TOTP): enrolment, checks at sign-in, removal. */

const ISSUER = 'rotki premium';

function secretContext(accountId: number): string {
  return `account:${accountId}:totp`;
}

export function wrongCode(): DomainError {
  return new DomainError('invalid', webMessages.wrongCode(), 'wrong_code');
}

/** Starts (or restarts) enrolment: a new secret, shown once as a QR code and a key, not in use until a code proves it. */
export async function startTotpEnrolment(ctx: DomainContext, accountId: number): Promise<{ secret: string; otpauthUri: string }> {
  const row = await ctx.store.db.selectFrom('accounts').select(['username', 'totp_enabled_at']).where('id', '=', accountId).executeTakeFirstOrThrow();
  if (row.totp_enabled_at !== null) throw invalid('An authenticator app is set up already. Turn it off first to set up another one.');
  const secret = newTotpSecret();
  await ctx.store.db
    .updateTable('accounts')
    .set({ totp_secret_ciphertext: ctx.keyRing.encrypt(secret, secretContext(accountId)), totp_last_step: null })
    .where('id', '=', accountId)
    .execute();
  return { secret, otpauthUri: totpUri(secret, { issuer: ISSUER, account: row.username }) };
}

/**
 * Checks a TOTP code of the account and records its time step, so the same
 * code is not accepted twice (of two concurrent requests, one wins).
 */
export async function checkTotp(ctx: DomainContext, accountId: number, code: string, enrolling = false): Promise<boolean> {
  const { db } = ctx.store;
  const row = await db
    .selectFrom('accounts')
    .select(['totp_secret_ciphertext', 'totp_enabled_at', 'totp_last_step'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (row?.totp_secret_ciphertext === null || row === undefined) return false;
  if (!enrolling && row.totp_enabled_at === null) return false;
  const secret = ctx.keyRing.decrypt(row.totp_secret_ciphertext, secretContext(accountId));
  const lastStep = row.totp_last_step === null ? null : Number(row.totp_last_step);
  const step = acceptedTotpStep(secret, code, ctx.clock.now(), lastStep);
  if (step === null) return false;
  const result = await db
    .updateTable('accounts')
    .set({ totp_last_step: step })
    .where('id', '=', accountId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Checks a current second factor: a code of the authenticator app or an unused recovery code. */
export async function checkSecondFactorCode(ctx: DomainContext, accountId: number, code: string): Promise<'totp' | 'recovery_code' | null> {
  if (await checkTotp(ctx, accountId, code)) return 'totp';
  if (await spendRecoveryCode(ctx.store.db, ctx.clock, accountId, code)) {
    await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'recovery_code.used' });
    return 'recovery_code';
  }
  return null;
}

/** Finishes enrolment with a code from the app: two-factor sign-in is on, and ten recovery codes are shown once. */
export async function enableTotp(ctx: DomainContext, accountId: number, code: string, ip: string | null): Promise<string[]> {
  if (!(await checkTotp(ctx, accountId, code, true))) throw wrongCode();
  return ctx.store.db.transaction().execute(async (trx) => {
    await trx.updateTable('accounts').set({ totp_enabled_at: ctx.clock.now() }).where('id', '=', accountId).execute();
    const codes = await replaceRecoveryCodes(trx, accountId);
    await recordAudit(trx, ctx.clock, { accountId, action: 'totp.enabled', ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'totp_enabled');
    return codes;
  });
}

/** Turns the authenticator app off; needs one of its codes or a recovery code. */
export async function disableTotp(ctx: DomainContext, accountId: number, code: string, ip: string | null): Promise<void> {
  if ((await checkSecondFactorCode(ctx, accountId, code)) === null) throw wrongCode();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ totp_secret_ciphertext: null, totp_enabled_at: null, totp_last_step: null })
      .where('id', '=', accountId)
      .execute();
    const passkeys = await trx.selectFrom('passkeys').select('id').where('account_id', '=', accountId).executeTakeFirst();
    if (passkeys === undefined) await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
    await recordAudit(trx, ctx.clock, { accountId, action: 'totp.disabled', ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'totp_disabled');
  });
}

/** Ten new recovery codes (the old ones stop working); needs a current second factor. */
export async function regenerateRecoveryCodes(ctx: DomainContext, accountId: number, code: string, ip: string | null): Promise<string[]> {
  if ((await checkSecondFactorCode(ctx, accountId, code)) === null) throw wrongCode();
  return ctx.store.db.transaction().execute(async (trx) => {
    const codes = await replaceRecoveryCodes(trx, accountId);
    await recordAudit(trx, ctx.clock, { accountId, action: 'recovery_codes.regenerated', ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'recovery_codes_regenerated');
    return codes;
  });
}
