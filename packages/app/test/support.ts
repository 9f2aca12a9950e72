import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppCore } from '../src/app-core.ts';
import { buildConfig } from '../src/config.ts';
import { buildHttpApp } from '../src/http/app.ts';
import { APP_USER_AGENT } from '../src/version.ts';

export interface LocalApp {
  core: AppCore;
  http: FastifyInstance;
  dataDir: string;
  /** Calls the local API the way the UI does. */
  call(method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: ApiAnswer }>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  result: unknown;
  message: string;
  error?: string;
  [key: string]: unknown;
}

/** An app (core + local API, in this process) on its own data folder, talking to `serverUrl`. */
export async function openLocalApp(
  serverUrl: string,
  options: { dataDir?: string; now?: () => number; deviceName?: string } = {},
): Promise<LocalApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rotki-premium-app-test-'));
  const config = buildConfig({ server: serverUrl, data: dataDir, port: 0, uiDir: null, deviceName: options.deviceName }, {});
  const core = new AppCore({ config, userAgent: APP_USER_AGENT, ...(options.now === undefined ? {} : { now: options.now }) });
  const http = await buildHttpApp({ core });
  return {
    core,
    http,
    dataDir,
    async call(method, url, body) {
      const response = await http.inject({
        method,
        url,
        headers: { host: '127.0.0.1:4242', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, json: response.json() as ApiAnswer };
    },
    async close() {
      await core.close();
      await http.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A URL where nothing listens. */
export const UNREACHABLE_SERVER = 'http://127.0.0.1:9';
