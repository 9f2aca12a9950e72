import { buildConfig, readSecrets } from '../packages/server/src/config/config.ts';
import { createAccount } from '../packages/server/src/domain/accounts.ts';
import type { DomainContext } from '../packages/server/src/domain/context.ts';
import { createCredentials } from '../packages/server/src/domain/credentials.ts';
import { grantSubscription } from '../packages/server/src/domain/subscriptions.ts';
import { openContext } from '../packages/server/src/server.ts';
import { TEST_PASSWORD_HASH_COST, type ServerHandle, type Subscriber } from './server-process.ts';

/** Where a server keeps its state: a handle, or a `TestStorage` plus the server's env. */
export type StateLocation = Pick<ServerHandle, 'dataDir' | 'databaseUrl'> & { env?: NodeJS.ProcessEnv };

export interface ServerContext {
  /** The domain over the same database and master key as the server processes. */
  ctx: DomainContext;
  /**
   * An account with an active subscription of `tier` and fresh credentials,
   * written through the domain in this process: the same rows as
   * `createSubscriber`, without three CLI processes per subscriber.
   */
  createSubscriber(tier?: string): Promise<Subscriber>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Opens the domain on a server's storage inside the test process, for fast
 * setup. Behaviour under test still goes through the server over HTTP or the CLI.
 */
export async function openServerContext(location: StateLocation): Promise<ServerContext> {
  const config = buildConfig({ dataDir: location.dataDir, databaseUrl: location.databaseUrl, passwordHashCost: TEST_PASSWORD_HASH_COST });
  const ctx = await openContext(config, readSecrets({ ...process.env, ...location.env }));
  return {
    ctx,
    async createSubscriber(tier = 'Basic') {
      counter += 1;
      const username = `sub${process.pid}x${counter}x${Date.now() % 100_000}`;
      const password = 'correct horse battery';
      const account = await createAccount(ctx, { username, email: `${username}@example.com`, password, verified: true });
      await grantSubscription(ctx, account.id, tier, 1);
      const pair = await createCredentials(ctx, account.id, { via: 'cli' });
      return { username, password, apiKey: pair.apiKey, apiSecret: pair.apiSecret };
    },
    close: () => ctx.store.destroy(),
  };
}
