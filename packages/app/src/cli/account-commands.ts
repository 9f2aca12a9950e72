import { printable } from '@rotki-premium/protocol';
import { countOf, deviceReplacementText, formatUtc, staleDeviceText } from '@rotki-premium/protocol/wording';
import type { Command } from 'commander';
import { AppCore } from '../app-core.ts';
import { ENV } from '../config.ts';
import type { PremiumStatus } from '../premium/premium-status.ts';
import { APP_USER_AGENT } from '../version.ts';
import { configOf, print, secretInput, UsageError, withUser, type UserOption } from './command-kit.ts';

/** `premium setup|status`: the plan, the key in use, this device and where to manage the subscription. */
function statusText(status: PremiumStatus): string {
  const lines = [
    status.premium_active ? `rotki Premium is active (${status.plan ?? 'unknown'} plan)` : 'rotki Premium is not active',
  ];
  if (!status.premium_active && status.message !== null) lines.push(status.message);
  if (status.has_credentials) lines.push(`API key: ${status.api_key_hint ?? ''}`);
  else lines.push('No API credentials are set up for this user.');
  lines.push(`This device: ${status.current_device_id}`);
  lines.push(`Manage your subscription: ${status.subscription_url}`);
  return lines.join('\n');
}

/** `user create|list`, `premium setup|status|remove` and `devices list|rename|remove`. */
export function addAccountCommands(program: Command): void {
  const user = program.command('user').description('local users');
  user
    .command('create')
    .description(`create a local user (password from ${ENV.password} or standard input)`)
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: UserOption, command: Command) => {
      const config = configOf(command);
      const password = await secretInput().read(ENV.password, `Password for ${options.user}`);
      if (password === null) throw new UsageError(`No password: set ${ENV.password} or pipe it on standard input`);
      const core = new AppCore({ config, userAgent: APP_USER_AGENT });
      await core.createUser({ name: options.user, password });
      await core.close();
      print(command, `User ${options.user} created`, { user: options.user, created: true });
    });
  user
    .command('list')
    .description('list the local users')
    .action((_options: unknown, command: Command) => {
      const core = new AppCore({ config: configOf(command), userAgent: APP_USER_AGENT });
      const users = core.users().map((u) => u.name);
      print(command, users.length === 0 ? 'No users' : users.join('\n'), { users });
    });

  const premium = program.command('premium').description('rotki Premium for a local user');
  premium
    .command('setup')
    .description(`set up or replace the API key and secret (secret from ${ENV.apiSecret} or standard input, after the password)`)
    .requiredOption('--user <name>', 'local user name')
    .requiredOption('--key <apiKey>', 'the API key from the subscription page')
    .action(async (options: UserOption & { key: string }, command: Command) => {
      await withUser(command, options.user, async (core) => {
        const secret = await secretInput().read(ENV.apiSecret, 'API secret');
        if (secret === null) throw new UsageError(`No API secret: set ${ENV.apiSecret} or pipe it on standard input (never as an argument)`);
        const status = await core.setPremiumCredentials(options.user, options.key, secret);
        print(command, statusText(status), status);
      });
    });
  premium
    .command('status')
    .description('check premium with the server and show the plan')
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: UserOption, command: Command) => {
      await withUser(command, options.user, async (core) => {
        const status = core.premiumStatus();
        print(command, statusText(status), status);
      });
    });
  premium
    .command('remove')
    .description('delete the stored API key and secret (the device stays registered)')
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: UserOption, command: Command) => {
      await withUser(command, options.user, async (core) => {
        const status = core.removePremium();
        print(command, status.message ?? 'Removed', status);
      });
    });

  const devices = program.command('devices').description("the premium account's devices");
  devices
    .command('list')
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: UserOption, command: Command) => {
      await withUser(command, options.user, async (core) => {
        const list = await core.listDevices();
        const rows = list.devices.map(
          (d) =>
            `${d.device_identifier === list.current_device_id ? '*' : ' '} ${printable(d.device_identifier)}  ${printable(d.device_name)}  ${printable(d.platform)}  last seen ${new Date(d.last_seen_at * 1000).toISOString()}${d.stale ? `  ${staleDeviceText(d.last_seen_at, Date.now() / 1000)}` : ''}`,
        );
        const replaced = list.replacements.map(
          (r) => `${deviceReplacementText(printable(r.replaced_device_name), formatUtc(r.replaced_last_seen_at), printable(r.device_name), formatUtc(r.replaced_at))}.`,
        );
        print(command, [`${countOf(list.devices.length, list.limit, 'device')} (* this device)`, ...rows, ...replaced].join('\n'), list);
      });
    });
  devices
    .command('rename')
    .requiredOption('--user <name>', 'local user name')
    .requiredOption('--device <id>', 'device identifier')
    .requiredOption('--name <name>', 'new name (1–100 characters)')
    .action(async (options: UserOption & { device: string; name: string }, command: Command) => {
      await withUser(command, options.user, async (core) => {
        await core.renameDevice(options.device, options.name);
        print(command, `Device renamed to ${printable(options.name.trim())}`, { renamed: true });
      });
    });
  devices
    .command('remove')
    .requiredOption('--user <name>', 'local user name')
    .requiredOption('--device <id>', 'device identifier')
    .action(async (options: UserOption & { device: string }, command: Command) => {
      await withUser(command, options.user, async (core) => {
        await core.deleteDevice(options.device);
        print(command, 'Device removed', { removed: true });
      });
    });
}
