import { Command, CommanderError, Option } from 'commander';
import { addAccountCommands } from './cli/account-commands.ts';
import { configOf, UsageError } from './cli/command-kit.ts';
import { addSyncCommands } from './cli/sync-commands.ts';
import { DEFAULT_PORT, ENV } from './config.ts';
import { AppError, type AppErrorKind } from './errors.ts';

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

let serving = false;

/** True once the app server runs: the process then stays up after `runCli` returns. */
export function isServing(): boolean {
  return serving;
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

  addAccountCommands(program);
  addSyncCommands(program);
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
