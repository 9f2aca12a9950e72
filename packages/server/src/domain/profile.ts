import { compactVatId } from '@rotki-premium/protocol/vat-ids';
import { Profile } from '@rotki-premium/protocol/web-api';
import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { invalid, notFound } from './errors.ts';

/** Profile and billing details: what invoices print about the buyer. */

export async function getProfile(ctx: DomainContext, accountId: number): Promise<Profile> {
  const row = await ctx.store.db
    .selectFrom('accounts')
    .select(['full_name', 'company', 'vat_id', 'address', 'country'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) throw notFound('Account not found');
  return {
    fullName: row.full_name ?? '',
    company: row.company ?? '',
    vatId: row.vat_id ?? '',
    address: row.address === null ? [] : (JSON.parse(row.address) as string[]),
    country: row.country ?? '',
  };
}

export async function updateProfile(ctx: DomainContext, accountId: number, input: unknown, ip: string | null): Promise<Profile> {
  const parsed = Profile.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'Check the form');
  const profile = parsed.data;
  const address = profile.address.filter((line) => line !== '');
  const orNull = (value: string) => (value === '' ? null : value);
  await ctx.store.db
    .updateTable('accounts')
    .set({
      full_name: orNull(profile.fullName),
      company: orNull(profile.company),
      vat_id: profile.vatId === '' ? null : compactVatId(profile.vatId),
      address: address.length === 0 ? null : JSON.stringify(address),
      country: orNull(profile.country),
    })
    .where('id', '=', accountId)
    .execute();
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'profile.updated', ip });
  return getProfile(ctx, accountId);
}
