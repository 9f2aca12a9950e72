import { recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { invalid, notFound } from './errors.ts';

/**
 * An operator suspends an account (abuse, a charge-back, a legal hold): from
 * that moment every signed request of its credentials is refused with a
 * message that says the account is suspended, on every instance (the signer
 * lookup reads the flag on each request). Nothing else is removed.
 */
export async function suspendAccount(ctx: DomainContext, accountId: number, reason: string): Promise<void> {
  const text = reason.trim();
  if (text === '' || text.length > 500) throw invalid('Say why the account is suspended (at most 500 characters)');
  const result = await ctx.store.db
    .updateTable('accounts')
    .set({ suspended_at: ctx.clock.now(), suspension_reason: text })
    .where('id', '=', accountId)
    .where('suspended_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    const exists = await ctx.store.db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
    if (exists === undefined) throw notFound('Account not found');
    throw invalid('The account is suspended already');
  }
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'account.suspended', detail: { reason: text } });
}

export async function unsuspendAccount(ctx: DomainContext, accountId: number): Promise<void> {
  const result = await ctx.store.db
    .updateTable('accounts')
    .set({ suspended_at: null, suspension_reason: null })
    .where('id', '=', accountId)
    .where('suspended_at', 'is not', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw invalid('The account is not suspended');
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'account.unsuspended' });
}
