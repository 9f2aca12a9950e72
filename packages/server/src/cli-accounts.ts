import { Option, type Command } from 'commander';
import { blobStoreOptions, withBackups, type BlobStoreOptionValues } from './cli-backups.ts';
import { requiredOption } from './cli-options.ts';
import { eraseAccount } from './domain/account-deletion.ts';
import { requireAccount } from './domain/accounts.ts';
import { actingAs } from './domain/audit.ts';
import type { DomainContext } from './domain/context.ts';
import { describeAccount, operatorDisableSecondFactors, operatorSetEmail } from './domain/operator-account-help.ts';
import { requestPasswordReset } from './domain/password-changes.ts';

interface CommonOptions {
  data?: string;
  database?: string;
  json?: boolean;
  username: string;
}

export interface AccountCommandHelpers {
  storeOptions(command: Command): Command;
  jsonOption(command: Command): Command;
  print(json: boolean | undefined, human: string, object: Record<string, unknown>): void;
  withContext<T>(options: Omit<CommonOptions, 'username'>, work: (ctx: DomainContext) => Promise<T>): Promise<T>;
}

/** The command line acts as the operator "cli" on the audit log. */
const CLI_ACTOR = { operator: 'cli', ip: null };

/**
 * `admin account show|set-email|reset-password|disable-2fa|delete`: helping a
 * subscriber who is locked out, and deleting an account on request. Audited.
 */
export function registerAccountHelpCommands(account: Command, helpers: AccountCommandHelpers): void {
  const { storeOptions, jsonOption, print, withContext } = helpers;
  const withUser = (command: Command) =>
    jsonOption(storeOptions(command.addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))));

  withUser(account.command('show').description('an account: e-mail and its confirmation, two-factor sign-in, profile, subscription')).action(
    async (options: CommonOptions) => {
      await withContext(options, async (ctx) => {
        const shown = await describeAccount(ctx, options.username);
        const factors = [shown.two_factor.authenticator_app ? 'authenticator app' : null, shown.two_factor.passkeys > 0 ? `${shown.two_factor.passkeys} passkey(s)` : null]
          .filter((f) => f !== null)
          .join(', ');
        const text = [
          `${shown.username} <${shown.email}> ${shown.email_verified ? '(confirmed)' : '(not confirmed)'}`,
          `created ${shown.created_at}`,
          `two-factor: ${factors === '' ? 'off' : `${factors}; ${shown.two_factor.recovery_codes_left} recovery codes left`}`,
          `subscription: ${shown.subscription === null ? 'none' : `${shown.subscription.tier} ${shown.subscription.status} until ${shown.subscription.period_end}`}`,
        ].join('\n');
        print(options.json, text, shown);
      });
    },
  );

  withUser(
    account
      .command('set-email')
      .description('change the e-mail address (counts as confirmed; the old address is told)')
      .addOption(requiredOption('--email <email>', 'the new address', 'ROTKI_PREMIUM_EMAIL')),
  ).action(async (options: CommonOptions & { email: string }) => {
    await withContext(options, async (ctx) => {
      await actingAs(CLI_ACTOR, () => operatorSetEmail(ctx, options.username, options.email));
      print(options.json, `E-mail of "${options.username}" set to ${options.email.trim().toLowerCase()}`, {
        username: options.username,
        email: options.email.trim().toLowerCase(),
      });
    });
  });

  withUser(account.command('reset-password').description('mail the subscriber a link to choose a new password (1 hour, single use)')).action(
    async (options: CommonOptions) => {
      await withContext(options, async (ctx) => {
        const target = await requireAccount(ctx, options.username);
        await actingAs(CLI_ACTOR, () => requestPasswordReset(ctx, target.username, null, { force: true }));
        print(options.json, `A password reset link is queued for ${target.email}`, { username: target.username, email: target.email });
      });
    },
  );

  withUser(account.command('disable-2fa').description('remove the authenticator app, passkeys and recovery codes: the password alone signs in')).action(
    async (options: CommonOptions) => {
      await withContext(options, async (ctx) => {
        await actingAs(CLI_ACTOR, () => operatorDisableSecondFactors(ctx, options.username));
        print(options.json, `Two-factor sign-in of "${options.username}" is off`, { username: options.username, two_factor: false });
      });
    },
  );

  blobStoreOptions(
    withUser(
      account
        .command('delete')
        .description('delete the account (refused while a subscription runs): credentials, devices, backups, personal details')
        .addOption(new Option('--yes', 'confirm').makeOptionMandatory()),
    ),
  ).action(async (options: CommonOptions & BlobStoreOptionValues) => {
    await withBackups(options, async (backups) => {
      const target = await requireAccount(backups.ctx, options.username);
      await actingAs(CLI_ACTOR, () => eraseAccount(backups.ctx, backups, target.id, null));
      print(options.json, `Account "${target.username}" deleted`, { username: target.username, deleted: true });
    });
  });
}
