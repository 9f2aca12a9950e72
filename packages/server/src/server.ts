import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig, ServerSecrets } from './config/config.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import type { DomainContext } from './domain/context.ts';
import { KeyRing, loadMasterKey } from './domain/keyring.ts';
import { sweepReplayNonces } from './domain/replay-guard.ts';
import { buildApp } from './http/app.ts';
import { openStore, type Store } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';

/** Opens the store, brings it up to date and builds the domain context. */
export async function openContext(config: ServerConfig, secrets: ServerSecrets, clock: Clock = systemClock): Promise<DomainContext> {
  const store: Store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(store);
    const keyRing = new KeyRing(loadMasterKey(secrets.masterKey, config.dataDir));
    return { store, clock, keyRing, siteUrl: config.siteUrl };
  } catch (error) {
    await store.destroy();
    throw error;
  }
}

export interface RunningServer {
  app: FastifyInstance;
  ctx: DomainContext;
  /** Base URL the server answers on. */
  url: string;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

export async function startServer(config: ServerConfig, secrets: ServerSecrets, logger: Logger): Promise<RunningServer> {
  const ctx = await openContext(config, secrets);
  const app = await buildApp({ ctx, config, logger });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await ctx.store.destroy();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  const sweeper = setInterval(() => {
    sweepReplayNonces(ctx).catch((error: unknown) => logger.warn({ err: error }, 'replay sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  let closing: Promise<void> | null = null;
  return {
    app,
    ctx,
    url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await app.close();
        await ctx.store.destroy();
      })();
      return closing;
    },
  };
}
