import { Option, type Command } from 'commander';
import { print, withContext } from './cli-context.ts';
import { jsonOption, positiveInteger, requiredOption, storeOptions, type JsonOption, type StoreOptions } from './cli-options.ts';
import { requireAccount } from './domain/accounts.ts';
import { createCredentials, regenerateCredentials, type ApiCredentials } from './domain/credentials.ts';
import { cancelSubscription, expireSubscription, grantSubscription, type Subscription } from './domain/subscriptions.ts';

function subscriptionJson(username: string, s: Subscription) {
  return {
    username,
    tier: s.tier.name,
    status: s.status,
    active: s.isActive,
    period_start: s.periodStart.toISOString(),
    period_end: s.periodEnd.toISOString(),
  };
}

function subscriptionText(username: string, s: Subscription): string {
  const until = s.periodEnd.toISOString().slice(0, 10);
  if (!s.isActive) return `${username}: ${s.tier.name} subscription expired (${until})`;
  return `${username}: ${s.tier.name} subscription ${s.status === 'cancelled' ? 'cancelled, active until' : 'active until'} ${until}`;
}

function credentialsJson(c: ApiCredentials) {
  return { api_key: c.apiKey, api_secret: c.apiSecret, created_at: c.createdAt.toISOString() };
}

function credentialsText(c: ApiCredentials, regenerated: boolean): string {
  return [
    regenerated ? 'New API credentials (the previous pair no longer works):' : 'API credentials created:',
    `API Key:    ${c.apiKey}`,
    `API Secret: ${c.apiSecret}`,
    `Created:    ${c.createdAt.toISOString()}`,
  ].join('\n');
}

/** `admin subscription grant|cancel|expire`: subscriptions as the operator records them. */
export function registerSubscriptionCommands(admin: Command): void {
  const subscription = admin.command('subscription').description('grant, cancel or end subscriptions');
  jsonOption(
    storeOptions(
      subscription
        .command('grant')
        .description('grant or extend a subscription (a payment recorded by the operator)')
        .addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--tier <tier>', 'tier name, see admin tiers list', 'ROTKI_PREMIUM_TIER'))
        .addOption(requiredOption('--months <n>', 'months to add', 'ROTKI_PREMIUM_MONTHS'))
        .addOption(new Option('--payment-reference <ref>', 'your reference for the payment').env('ROTKI_PREMIUM_PAYMENT_REFERENCE')),
    ),
  ).action(async (options: StoreOptions & JsonOption & { username: string; tier: string; months: string; paymentReference?: string }) => {
    const months = positiveInteger('--months', options.months);
    await withContext(options, async (ctx) => {
      const owner = await requireAccount(ctx, options.username);
      const granted = await grantSubscription(ctx, owner.id, options.tier, months, options.paymentReference ?? null);
      print(options.json, subscriptionText(owner.username, granted), subscriptionJson(owner.username, granted));
    });
  });
  for (const [name, description, act] of [
    ['cancel', 'cancel renewal: stays active until the period end', cancelSubscription],
    ['expire', 'end the subscription now', expireSubscription],
  ] as const) {
    jsonOption(storeOptions(subscription.command(name).description(description).addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME')))).action(
      async (options: StoreOptions & JsonOption & { username: string }) => {
        await withContext(options, async (ctx) => {
          const owner = await requireAccount(ctx, options.username);
          const changed = await act(ctx, owner.id);
          print(options.json, subscriptionText(owner.username, changed), subscriptionJson(owner.username, changed));
        });
      },
    );
  }
}

/** `admin credentials create|regenerate`: API credentials, as the website's buttons make them. */
export function registerCredentialCommands(admin: Command): void {
  const credentials = admin.command('credentials').description('API credentials, as the Create and Regenerate buttons');
  for (const [name, description, act] of [
    ['create', 'create the first API key and secret (needs an active subscription)', createCredentials],
    ['regenerate', 'replace the pair; the old one stops working at once on every device', regenerateCredentials],
  ] as const) {
    jsonOption(storeOptions(credentials.command(name).description(description).addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME')))).action(
      async (options: StoreOptions & JsonOption & { username: string }) => {
        await withContext(options, async (ctx) => {
          const owner = await requireAccount(ctx, options.username);
          const pair = await act(ctx, owner.id, { via: 'cli' });
          print(options.json, credentialsText(pair, name === 'regenerate'), credentialsJson(pair));
        });
      },
    );
  }
}
