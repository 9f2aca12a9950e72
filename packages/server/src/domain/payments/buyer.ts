import type { Buyer } from '../billing/breakdown.ts';
import type { DomainContext } from '../context.ts';
import { getAccount } from '../accounts.ts';
import { getProfile } from '../profile.ts';

/**
 * The buyer's details for a price and an invoice, as they are now: the
 * account's e-mail and its profile (name, company, VAT id, address, country;
 * the username stands for a name not given). Orders copy them, so an invoice
 * shows the details given when the order was placed.
 */
export async function buyerOf(ctx: DomainContext, accountId: number): Promise<Buyer> {
  const [account, profile] = await Promise.all([getAccount(ctx, accountId), getProfile(ctx, accountId)]);
  const orNull = (value: string) => (value === '' ? null : value);
  return {
    name: profile.fullName === '' ? account.username : profile.fullName,
    company: orNull(profile.company),
    email: account.email,
    country: orNull(profile.country),
    vatId: orNull(profile.vatId),
    address: profile.address,
  };
}
