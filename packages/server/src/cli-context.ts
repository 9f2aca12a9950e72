import { printableLines } from '@rotki-premium/protocol';
import type { StoreOptions } from './cli-options.ts';
import { buildConfig, readSecrets, type ConfigInput } from './config/config.ts';
import type { DomainContext } from './domain/context.ts';
import { openContext } from './server.ts';

function configFrom(options: StoreOptions & ConfigInput) {
  return buildConfig({ ...options, dataDir: options.data, databaseUrl: options.database });
}

export async function withContext<T>(options: StoreOptions, work: (ctx: DomainContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(configFrom(options), readSecrets());
  try {
    return await work(ctx);
  } finally {
    await ctx.store.destroy();
  }
}

/** `human` may be a function, for text that costs something to make (money formatting loads Intl's data). */
export function print(json: boolean | undefined, human: string | (() => string), object: Record<string, unknown>): void {
  process.stdout.write(json === true ? `${JSON.stringify(object)}\n` : `${printableLines(typeof human === 'function' ? human() : human)}\n`);
}
