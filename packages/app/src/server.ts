import type { FastifyInstance } from 'fastify';
import { AppCore } from './app-core.ts';
import type { AppConfig } from './config.ts';
import { buildHttpApp } from './http/app.ts';
import { APP_USER_AGENT } from './version.ts';

export interface RunningApp {
  app: FastifyInstance;
  core: AppCore;
  url: string;
  close(): Promise<void>;
}

/** Starts the local backend on 127.0.0.1 with the hourly premium check and the automatic upload. */
export async function startApp(config: AppConfig, options: { log?: (line: string) => void } = {}): Promise<RunningApp> {
  const log = options.log ?? (() => {});
  const core = new AppCore({
    config,
    userAgent: APP_USER_AGENT,
    log: (line) => log(`${new Date().toISOString()} ${line}`),
  });
  const app = await buildHttpApp({ core });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  core.startBackground();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | null = null;
  return {
    app,
    core,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        await app.close();
        await core.close();
      })();
      return closing;
    },
  };
}
