import { Command, CommanderError, Option } from 'commander';
import { registerBillingCommands } from './cli-billing.ts';
import { registerBackupCommands } from './cli-backups.ts';
import { registerAccountHelpCommands } from './cli-accounts.ts';
import { print, withContext } from './cli-context.ts';
import { registerMailCommands } from './cli-mail.ts';
import { registerOperatorCommands } from './cli-operators.ts';
import { jsonOption, positiveInteger, requiredOption, storeOptions, UsageError, type JsonOption, type StoreOptions } from './cli-options.ts';
import { registerDbCommands } from './cli-db.ts';
import { registerStartCommand } from './cli-start.ts';
import { registerCredentialCommands, registerSubscriptionCommands } from './cli-subscriptions.ts';
import { registerTlsCommands } from './cli-tls.ts';
import { registerMasterKeyCommands } from './cli-master-key.ts';
import { createAccount, requireAccount } from './domain/accounts.ts';
import { listAuditEvents } from './domain/audit.ts';
import { DomainError } from './domain/errors.ts';
import { currentPrices } from './domain/billing/prices.ts';
import { formatMoney } from './domain/billing/money.ts';
import { listTiers } from './domain/tiers.ts';

/** Exit code for a usage error: unknown user or tier, missing or bad option. */
const USAGE_ERROR = 2;

export function buildProgram(): Command {
  const program = new Command('rotki-premium')
    .description('The rotki premium service: signed premium API, subscriptions, API credentials and devices')
    .showHelpAfterError(false)
    .exitOverride();

  registerStartCommand(program);

  jsonOption(storeOptions(program.command('migrate').description('create or update the database schema'))).action(
    async (options: StoreOptions & JsonOption) => {
      await withContext(options, async (ctx) => {
        print(options.json, `Database is up to date (${ctx.store.dialect} at ${ctx.store.location})`, {
          dialect: ctx.store.dialect,
          location: ctx.store.location,
          up_to_date: true,
        });
      });
    },
  );

  const admin = program.command('admin').description('operator commands; safe to run while the server runs');

  const account = admin.command('account').description('subscriber accounts');
  jsonOption(
    storeOptions(
      account
        .command('create')
        .description('create an account (its e-mail address counts as confirmed: the operator vouches for it)')
        .addOption(requiredOption('--username <name>', 'login name', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--email <email>', 'email address', 'ROTKI_PREMIUM_EMAIL'))
        .addOption(requiredOption('--password <password>', 'password (at least 8 characters, not easy to guess)', 'ROTKI_PREMIUM_PASSWORD')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; email: string; password: string }) => {
    await withContext(options, async (ctx) => {
      const created = await createAccount(ctx, { username: options.username, email: options.email, password: options.password, verified: true });
      print(options.json, `Account "${created.username}" created`, {
        id: created.id,
        username: created.username,
        email: created.email,
        created_at: created.createdAt.toISOString(),
      });
    });
  });

  registerAccountHelpCommands(account, { storeOptions, jsonOption, print, withContext });
  registerSubscriptionCommands(admin);
  registerCredentialCommands(admin);

  const tiers = admin.command('tiers').description('subscription tiers');
  jsonOption(storeOptions(tiers.command('list').description('list tiers and their limits'))).action(
    async (options: StoreOptions & JsonOption) => {
      await withContext(options, async (ctx) => {
        const all = await listTiers(ctx);
        const prices = await currentPrices(ctx, all);
        const price = (minor: number | null | undefined) => (minor === null || minor === undefined ? '-' : formatMoney(minor, ctx.billing.currency));
        const rows = all.map((t) => ({
          name: t.name,
          device_limit: t.deviceLimit,
          max_backup_size_mb: t.maxBackupSizeMb,
          backup_versions: t.backupVersions,
          history_events_limit: t.historyEventsLimit,
          pnl_events_limit: t.pnlEventsLimit,
          reports_lookup_limit: t.reportsLookupLimit,
          eth_staked_limit: t.ethStakedLimit,
          capabilities: t.capabilities,
          currency: ctx.billing.currency,
          monthly_price_minor: prices.get(t.id)?.monthly ?? null,
          yearly_price_minor: prices.get(t.id)?.yearly ?? null,
        }));
        const text = () =>
          all
            .map(
              (t) =>
                `${t.name.padEnd(10)} ${price(prices.get(t.id)?.monthly).padStart(10)}/month ${price(prices.get(t.id)?.yearly).padStart(10)}/year  devices ${String(t.deviceLimit).padStart(2)}  backup ${String(t.maxBackupSizeMb).padStart(4)} MiB × ${String(t.backupVersions).padStart(2)} versions  ${t.capabilities.join(', ') || '-'}`,
            )
            .join('\n');
        print(options.json, text, { tiers: rows });
      });
    },
  );

  jsonOption(
    storeOptions(
      admin
        .command('audit')
        .description("an account's audit events, newest first")
        .addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(new Option('--limit <n>', 'how many events').env('ROTKI_PREMIUM_AUDIT_LIMIT').default('100')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; limit: string }) => {
    await withContext(options, async (ctx) => {
      const owner = await requireAccount(ctx, options.username);
      const events = await listAuditEvents(ctx.store.db, owner.id, positiveInteger('--limit', options.limit));
      const text = events.map((e) => `${e.createdAt.toISOString()}  ${e.action.padEnd(24)} ${e.ip ?? '-'}  ${JSON.stringify(e.detail)}`).join('\n');
      print(options.json, text === '' ? 'No events' : text, {
        username: owner.username,
        events: events.map((e) => ({ id: e.id, action: e.action, detail: e.detail, ip: e.ip, created_at: e.createdAt.toISOString() })),
      });
    });
  });

  registerBackupCommands(admin, { storeOptions, jsonOption, print });
  registerMailCommands(admin, { storeOptions, jsonOption, print, withContext });
  registerBillingCommands(admin, tiers, { storeOptions, jsonOption, print, withContext });
  registerOperatorCommands(admin, { storeOptions, jsonOption, withContext, print });
  registerDbCommands(admin, { storeOptions, jsonOption, print });
  registerMasterKeyCommands(admin, { storeOptions, jsonOption, print });
  registerTlsCommands(program, { storeOptions, jsonOption, print });

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one-line message already.
      return error.exitCode === 0 ? 0 : USAGE_ERROR;
    }
    if (error instanceof UsageError || (error instanceof DomainError && (error.kind === 'not_found' || error.kind === 'invalid'))) {
      process.stderr.write(`error: ${error.message}\n`);
      return USAGE_ERROR;
    }
    if (error instanceof DomainError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
