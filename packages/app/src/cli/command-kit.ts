import type { Command } from 'commander';
import { printableLines } from '@rotki-premium/protocol';
import { AppCore } from '../app-core.ts';
import { buildConfig, ENV, type AppConfig } from '../config.ts';
import { APP_USER_AGENT } from '../version.ts';
import { SecretInput } from './secret-input.ts';

/** What every command uses: its configuration, the secrets it reads, its output, and a logged-in user. */

/** Wrong use of the command line: exit code 2. */
export class UsageError extends Error {}

interface GlobalOptions {
  deviceName?: string;
  server?: string;
  siteUrl?: string;
  data?: string;
  json?: boolean;
}

export interface UserOption {
  user: string;
}

let input: SecretInput | null = null;

/** One reader per process: piped standard input is read once and handed out a line at a time. */
export function secretInput(): SecretInput {
  input ??= new SecretInput();
  return input;
}

export function configOf(command: Command, extra: { port?: string } = {}): AppConfig {
  const options = command.optsWithGlobals<GlobalOptions>();
  try {
    return buildConfig({ server: options.server, site: options.siteUrl, data: options.data, port: extra.port, deviceName: options.deviceName });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function print(command: Command, human: string, object: unknown): void {
  const json = command.optsWithGlobals<GlobalOptions>().json === true;
  process.stdout.write(json ? `${JSON.stringify(object)}\n` : `${printableLines(human)}\n`);
}

/** Logs the user in for one command (without pulling a newer backup) and logs out afterwards. */
export async function withUser<T>(command: Command, user: string, work: (core: AppCore) => Promise<T>): Promise<T> {
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
