import { printable, printableLines } from '@rotki-premium/protocol';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { AppCore } from './app-core.ts';
import { SecretInput } from './cli/secret-input.ts';
import { addSyncCommands } from './cli/sync-commands.ts';
import { buildConfig, DEFAULT_PORT, ENV, type AppConfig } from './config.ts';
import { AppError, type AppErrorKind } from './errors.ts';
import type { PremiumStatus } from './premium/premium-status.ts';
import type { SyncProgress } from './sync/sync-service.ts';
import { APP_USER_AGENT } from './version.ts';
import { countOf, deviceReplacementText, formatUtc, staleDeviceText } from '@rotki-premium/protocol/wording';

/**
 * Exit codes: 0 done; 1 failed; 2 usage or input error (bad option, malformed
 * key/secret, unknown user, wrong password); 3 refused by the premium server
 * (key rejected, subscription not active, device limit, device removed,
 * an upload refused because another device uploaded since this one synced);
 * 4 premium server unreachable or answering in error.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3, remote: 4 } as const;

const EXIT_OF: Partial<Record<AppErrorKind, number>> = {
  invalid_input: EXIT.usage,
  invalid_credentials_format: EXIT.usage,
  wrong_password: EXIT.usage,
  user_not_found: EXIT.usage,
  user_exists: EXIT.usage,
  current_device: EXIT.usage,
  key_rejected: EXIT.refused,
  subscription_inactive: EXIT.refused,
  device_limit: EXIT.refused,
  device_removed: EXIT.refused,
  remote_password_mismatch: EXIT.refused,
  sync_conflict: EXIT.refused,
  server_unreachable: EXIT.remote,
  remote_error: EXIT.remote,
};

class UsageError extends Error {}

interface GlobalOptions {
  deviceName?: string;
  server?: string;
  siteUrl?: string;
  data?: string;
  json?: boolean;
}

interface UserOption {
  user: string;
}

let serving = false;
let input: SecretInput | null = null;

/** One reader per process: piped standard input is read once and handed out a line at a time. */
function secretInput(): SecretInput {
  input ??= new SecretInput();
  return input;
}

/** True once the app server runs: the process then stays up after `runCli` returns. */
export function isServing(): boolean {
  return serving;
}

function configOf(command: Command, extra: { port?: string } = {}): AppConfig {
  const options = command.optsWithGlobals<GlobalOptions>();
  try {
    return buildConfig({ server: options.server, site: options.siteUrl, data: options.data, port: extra.port, deviceName: options.deviceName });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function print(command: Command, human: string, object: unknown): void {
  const json = command.optsWithGlobals<GlobalOptions>().json === true;
  process.stdout.write(json ? `${JSON.stringify(object)}\n` : `${printableLines(human)}\n`);
}

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

/** Logs the user in for one command (without pulling a newer backup) and logs out afterwards. */
async function withUser<T>(command: Command, user: string, work: (core: AppCore) => Promise<T>): Promise<T> {
  const config = configOf(command);
  const password = await secretInput().read(ENV.password, `Password of ${user}`);
  if (password === null) throw new UsageError(`No password: set ${ENV.password} or pipe it on standard input`);
  const core = new AppCore({ config, userAgent: APP_USER_AGENT });
  await core.login(user, password, 'no');
  try {
    return await work(core);
  } finally {
    await core.close();
  }
}

function progressReporter(): { update(p: SyncProgress): void; stop(): void } {
  if (process.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { format: '{phase} [{bar}] {detail}', hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const detail =
          p.phase === 'uploading'
            ? `chunk ${p.chunk} of ${p.total_chunks} | ${p.bytes}/${p.total_bytes} bytes`
            : p.total_bytes > 0
              ? `${p.bytes}/${p.total_bytes} bytes`
              : '';
        const payload = { phase: p.phase.padEnd(11), detail };
        if (!started) {
          bar.start(Math.max(p.total_bytes, 1), p.bytes, payload);
          started = true;
        }
        bar.setTotal(Math.max(p.total_bytes, 1));
        bar.update(p.bytes, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update(p) {
      const line = p.phase === 'uploading' ? `uploading chunk ${p.chunk} of ${p.total_chunks}` : p.phase;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    stop: () => {},
  };
}

export function buildProgram(): Command {
  const program = new Command('rotki-premium-app')
    .description('The rotki premium app: local backend and UI on 127.0.0.1, and commands for headless use')
    .addOption(new Option('--server <url>', 'the premium server').env(ENV.server))
    .addOption(new Option('--site-url <url>', 'the subscriber website, for links (default: the server)').env(ENV.site))
    .addOption(new Option('--data <dir>', "the app's data folder").env(ENV.data))
    .addOption(new Option('--device-name <name>', 'the name this device registers with (default: the host name)').env(ENV.deviceName))
    .option('--json', 'print one JSON object instead of text')
    .showHelpAfterError(false)
    .exitOverride();

  program
    .command('start', { isDefault: true })
    .description('serve the UI and the local API on 127.0.0.1 (the default command)')
    .addOption(new Option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)').env(ENV.port).default(String(DEFAULT_PORT)))
    .action(async (options: { port: string }, command: Command) => {
      const config = configOf(command, { port: options.port });
      // Loaded here, so that the other commands do not load the HTTP stack.
      const { startApp } = await import('./server.ts');
      const running = await startApp(config, { log: (line) => process.stderr.write(`${line}\n`) });
      serving = true;
      process.stdout.write(
        [
          'rotki premium app is running',
          `Listening on ${running.url}`,
          `Premium server: ${config.serverUrl}`,
          `Data folder:    ${config.dataDir}`,
          '',
        ].join('\n'),
      );
      const stop = () => {
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

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

  addSyncCommands(program, { withUser, print, progressReporter, usageError: (message) => new UsageError(message) });
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof AppError) {
      process.stderr.write(`error: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return EXIT_OF[error.kind] ?? EXIT.failed;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
