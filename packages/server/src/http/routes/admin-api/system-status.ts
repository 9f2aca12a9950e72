import { redactSmtpUrl, type MailConfig } from '../../../config/mail-config.ts';
import { enabledPaymentMethods } from '../../../domain/billing/settings.ts';
import type { DomainContext } from '../../../domain/context.ts';
import { devicePolicyOf } from '../../../domain/device-replacements.ts';

const METHOD_NAMES = { card: 'card (Stripe)', crypto: 'crypto', bank_transfer: 'bank transfer' } as const;

async function countWhere(ctx: DomainContext, table: 'mail_queue' | 'provider_events', status: string): Promise<number> {
  const row = await ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('status', '=', status as never)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The master key as the database knows it: the fingerprint recorded as its
 * check value (issue 8), never the key; whether this instance holds it (it
 * must, or it would not have started); the keys a rotation retired.
 */
export async function masterKeyStatus(ctx: DomainContext): Promise<{ fingerprint: string; heldHere: boolean; retired: number }> {
  const rows = await ctx.store.db.selectFrom('master_keys').select(['fingerprint', 'state']).execute();
  const current = rows.find((row) => row.state === 'current')?.fingerprint ?? ctx.keyRing.fingerprint();
  return { fingerprint: current, heldHere: ctx.keyRing.fingerprints().includes(current), retired: rows.filter((row) => row.state !== 'current').length };
}

/** Where mail goes and how the queue stands, in one line for the System page. */
export async function mailQueueStatus(ctx: DomainContext, mail: MailConfig): Promise<string> {
  const [pending, failed] = await Promise.all([countWhere(ctx, 'mail_queue', 'pending'), countWhere(ctx, 'mail_queue', 'failed')]);
  const where = mail.smtpUrl === '' ? `written to ${mail.outboxDir} (no SMTP server set)` : `sent through ${redactSmtpUrl(mail.smtpUrl)}`;
  return `Mail is ${where}; ${pending} waiting, ${failed} failed.`;
}

/** The payment methods on offer and the provider events whose processing failed. */
export async function paymentsStatus(ctx: DomainContext): Promise<string> {
  const methods = enabledPaymentMethods(ctx.billing).map((method) => METHOD_NAMES[method]);
  const failed = await countWhere(ctx, 'provider_events', 'failed');
  const offered = methods.length === 0 ? 'No payment method is offered: the operator records payments.' : `Offered: ${methods.join(', ')}.`;
  return `${offered} ${failed} provider event${failed === 1 ? '' : 's'} failed.`;
}

/** The stale-device start options, in one line for the System page. */
export function devicesStatus(ctx: DomainContext): string {
  const { staleAfterDays, replaceStale } = devicePolicyOf(ctx);
  const atLimit = replaceStale
    ? 'a registration at the device limit replaces the stale device unseen the longest'
    : 'a registration at the device limit is refused (--replace-stale-devices is off)';
  return `A device unseen for ${staleAfterDays} day${staleAfterDays === 1 ? '' : 's'} is stale; ${atLimit}.`;
}
