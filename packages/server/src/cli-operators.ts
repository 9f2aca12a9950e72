import { Option, type Command } from 'commander';
import { requiredOption } from './cli-options.ts';
import type { DomainContext } from './domain/context.ts';
import { createOperator, disableOperator, listOperators, resetOperatorSecondFactor, type Operator } from './domain/operators/operators.ts';

interface StoreOptions {
  data?: string;
  database?: string;
  json?: boolean;
}

export interface OperatorCommandHelpers {
  storeOptions(command: Command): Command;
  jsonOption(command: Command): Command;
  withContext<T>(options: StoreOptions, work: (ctx: DomainContext) => Promise<T>): Promise<T>;
  print(json: boolean | undefined, human: string, object: Record<string, unknown>): void;
}

function operatorJson(o: Operator) {
  return { username: o.username, email: o.email, role: o.role, second_factor: o.secondFactor, disabled: o.disabled, created_at: o.createdAt.toISOString() };
}

/**
 * `admin operator …`: operators of the web console exist only through these
 * commands. The first password is printed once; the operator sets up an
 * authenticator app at the first sign-in.
 */
export function registerOperatorCommands(admin: Command, helpers: OperatorCommandHelpers): void {
  const { storeOptions, jsonOption, withContext, print } = helpers;
  const operator = admin.command('operator').description('operators of the web console (/admin)');

  jsonOption(
    storeOptions(
      operator
        .command('create')
        .description('create an operator; prints the first password once')
        .addOption(requiredOption('--username <name>', 'operator name', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--email <email>', 'email address', 'ROTKI_PREMIUM_EMAIL'))
        .addOption(
          new Option('--role <role>', 'admin: everything; support: customers, no tiers or prices')
            .choices(['admin', 'support'])
            .env('ROTKI_PREMIUM_OPERATOR_ROLE')
            .default('support'),
        ),
    ),
  ).action(async (options: StoreOptions & { username: string; email: string; role: string }) => {
    await withContext(options, async (ctx) => {
      const { operator: created, password } = await createOperator(ctx, options);
      print(
        options.json,
        [
          `Operator "${created.username}" (${created.role}) created.`,
          `First password (shown only now): ${password}`,
          'Sign in at /admin; the first sign-in sets up an authenticator app (TOTP).',
        ].join('\n'),
        { ...operatorJson(created), password },
      );
    });
  });

  jsonOption(storeOptions(operator.command('list').description('list operators'))).action(async (options: StoreOptions) => {
    await withContext(options, async (ctx) => {
      const all = await listOperators(ctx);
      const text = all
        .map((o) => `${o.username.padEnd(20)} ${o.role.padEnd(8)} ${o.secondFactor ? '2FA' : 'no 2FA yet'}${o.disabled ? '  disabled' : ''}  ${o.email}`)
        .join('\n');
      print(options.json, text === '' ? 'No operators' : text, { operators: all.map(operatorJson) });
    });
  });

  for (const [name, description, act] of [
    ['reset-2fa', 'remove the authenticator: the next sign-in sets up a new one', resetOperatorSecondFactor],
    ['disable', 'the operator can no longer sign in; their sessions end', disableOperator],
  ] as const) {
    jsonOption(
      storeOptions(operator.command(name).description(description).addOption(requiredOption('--username <name>', 'operator name', 'ROTKI_PREMIUM_USERNAME'))),
    ).action(async (options: StoreOptions & { username: string }) => {
      await withContext(options, async (ctx) => {
        const changed = await act(ctx, options.username);
        print(options.json, `Operator "${changed.username}": ${name === 'disable' ? 'disabled' : 'authenticator removed'}`, operatorJson(changed));
      });
    });
  }
}
