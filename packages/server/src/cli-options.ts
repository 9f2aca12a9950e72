import { Option, type Command } from 'commander';
import { PASSWORD_HASH_COST } from './domain/passwords.ts';

/** A usage error (bad option value): the command line exits with 2. */
export class UsageError extends Error {}

export interface StoreOptions {
  data?: string;
  database?: string;
  billingConfig?: string;
  passwordHashCost?: string;
}

export interface JsonOption {
  json?: boolean;
}

/** A mandatory option that an environment variable can also give (the password, say, kept out of argv). */
export function requiredOption(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(env).makeOptionMandatory();
}

export function storeOptions(command: Command): Command {
  return command
    .addOption(new Option('--data <dir>', 'data folder (SQLite file, master key, backups)').env('ROTKI_PREMIUM_DATA'))
    .addOption(
      new Option('--database <url>', 'postgres://… for PostgreSQL; SQLite in the data folder when omitted').env(
        'ROTKI_PREMIUM_DATABASE',
      ),
    )
    .addOption(
      new Option('--billing-config <file>', 'billing configuration (JSON): currency, seller, VAT, payment methods').env(
        'ROTKI_PREMIUM_BILLING_CONFIG',
      ),
    )
    .addOption(
      new Option('--password-hash-cost <log2N>', `scrypt cost of new password hashes as log2 N (${PASSWORD_HASH_COST.min}-${PASSWORD_HASH_COST.max}; below ${PASSWORD_HASH_COST.productionMinimum} for tests only)`)
        .env('ROTKI_PREMIUM_PASSWORD_HASH_COST')
        .default(String(PASSWORD_HASH_COST.default)),
    );
}

export function jsonOption(command: Command): Command {
  return command.addOption(new Option('--json', 'print one JSON object as the last line').env('ROTKI_PREMIUM_JSON'));
}

export function positiveInteger(option: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1) throw new UsageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return parsed;
}
