import type { Buyer } from '../billing/breakdown.ts';
import type { DomainContext } from '../context.ts';
import { getAccount } from '../accounts.ts';

/**
 * The buyer's details for a price and an invoice, as they are now: the
 * account's e-mail and name. Orders copy them, so an invoice shows the details
 * given when the order was placed.
 */
export async function buyerOf(ctx: DomainContext, accountId: number): Promise<Buyer> {
  const account = await getAccount(ctx, accountId);
  return { name: account.username, company: null, email: account.email, country: null, vatId: null, address: [] };
}
