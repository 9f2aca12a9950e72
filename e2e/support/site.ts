import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openServerContext, type ServerContext } from '../../test-support/server-context.ts';
import { REPO_ROOT, startServer, type ServerHandle } from '../../test-support/server-process.ts';

export const WEB_DIST = join(REPO_ROOT, 'packages/web/dist');

/** Builds the website when it is not built yet (`npm run test:e2e` always builds first). */
export function ensureWebsiteBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

export interface Site {
  server: ServerHandle;
  /** The domain over the server's own database, for what no page offers (expiring a session). */
  domain: ServerContext;
  close(): Promise<void>;
}

/** A real server process on a scratch SQLite folder, serving the built website. */
export async function startSite(env: NodeJS.ProcessEnv = {}): Promise<Site> {
  ensureWebsiteBuilt();
  // Every browser of a suite logs in from 127.0.0.1: the per-address limit is not what these tests are about.
  const server = await startServer({ dialect: 'sqlite', env: { ROTKI_PREMIUM_LOGIN_RATE_LIMIT: '500', ...env } });
  const domain = await openServerContext(server);
  return {
    server,
    domain,
    async close() {
      await domain.close();
      await server.stop();
    },
  };
}

let counter = 0;

/** A fresh username per call, unique across runs. */
export function newUsername(prefix = 'e2e'): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}x${Date.now() % 100_000}`;
}
