import type { FastifyInstance } from 'fastify';
import { ADMIN_API, ADMIN_API_PATHS, CustomerDetail, type CustomerCareAction } from '@rotki-premium/protocol/admin-api';
import { eraseAccount } from '../../../domain/account-deletion.ts';
import { getAccount } from '../../../domain/accounts.ts';
import { deleteAllBackups } from '../../../domain/backup-history.ts';
import type { Backups } from '../../../domain/backups.ts';
import { conflict } from '../../../domain/errors.ts';
import { operatorDisableSecondFactors } from '../../../domain/operator-account-help.ts';
import { customerDetail } from '../../../domain/operators/customers.ts';
import { requestPasswordReset } from '../../../domain/password-changes.ts';
import { currentSubscription } from '../../../domain/subscriptions.ts';
import { IdParam, webRoute } from '../../openapi/route-schema.ts';
import { asOperator } from './admin-plugin.ts';

const base = ADMIN_API_PATHS.customers.slice(ADMIN_API.length);

/** The account must still exist: a deleted one keeps only its pseudonym for its invoices. */
async function liveAccount(backups: Backups, id: number) {
  const account = await getAccount(backups.ctx, id);
  const row = await backups.ctx.store.db.selectFrom('accounts').select('deleted_at').where('id', '=', id).executeTakeFirstOrThrow();
  if (row.deleted_at !== null) throw conflict('This account is deleted.');
  return account;
}

/**
 * What support does for a customer who is locked out or leaving: a password
 * reset link, removing the second factors, deleting the backups, deleting the
 * account. Any operator role; the domain functions audit each one, stamped
 * with the operator's name. Each answers with the customer's page afterwards.
 */
export async function adminCustomerCareRoutes(app: FastifyInstance, options: { backups: Backups }): Promise<void> {
  const { backups } = options;
  const { ctx } = backups;
  const operator = { console: 'operator' as const };

  const actions: Record<CustomerCareAction, { summary: string; run: (id: number) => Promise<unknown> }> = {
    'send-password-reset': {
      summary: 'Send the customer a password reset link (audited as password.reset_requested)',
      run: async (id) => requestPasswordReset(ctx, (await liveAccount(backups, id)).username, null, { force: true }),
    },
    'reset-two-factor': {
      summary: 'Remove the authenticator app, passkeys and recovery codes: the password alone signs in (audited as totp.disabled)',
      run: async (id) => operatorDisableSecondFactors(ctx, (await liveAccount(backups, id)).username),
    },
    'delete-backups': {
      summary: 'Delete the current backup and every earlier version (audited as backup.deleted)',
      run: async (id) => {
        await liveAccount(backups, id);
        return deleteAllBackups(ctx, { blobs: backups.blobs, graceMs: backups.policy.supersededGraceMs }, id);
      },
    },
    'delete-account': {
      summary: 'Delete the account (refused while a subscription runs); payments and invoices stay under a pseudonym (audited as account.deleted)',
      run: async (id) => {
        await liveAccount(backups, id);
        const subscription = await currentSubscription(ctx, id);
        if (subscription?.isActive === true) {
          throw conflict(
            `The ${subscription.tier.name} subscription runs until ${subscription.periodEnd.toISOString().slice(0, 10)}: end it first ("End now"), then delete the account.`,
          );
        }
        return eraseAccount(ctx, backups, id, null);
      },
    },
  };

  for (const [action, { summary, run }] of Object.entries(actions)) {
    app.post(
      `${base}/:id/${action}`,
      { schema: webRoute({ summary, params: IdParam, response: { 200: CustomerDetail } }), config: operator },
      async (request): Promise<CustomerDetail> => {
        const { id } = IdParam.parse(request.params);
        await asOperator(request, () => run(id));
        return customerDetail(ctx, id);
      },
    );
  }
}
