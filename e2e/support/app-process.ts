import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const APP_BIN = join(REPO_ROOT, 'packages/app/bin/rotki-premium-app.js');
export const APP_UI_INDEX = join(REPO_ROOT, 'packages/app/dist/ui/index.html');

export interface AppProcess {
  url: string;
  dataDir: string;
  machineId: string;
  process: ChildProcess;
  output(): string;
  /** Calls the app's local API as its UI does. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export interface AppProcessOptions {
  serverUrl: string;
  /** ROTKI_PREMIUM_MACHINE_ID: each instance is its own machine, so its own device. */
  machineId: string;
  /** ROTKI_PREMIUM_DEVICE_NAME: the name the device registers with. */
  deviceName?: string;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Fails early, with the command to run, when the UI has not been built. */
export function requireBuiltUi(): void {
  if (!existsSync(APP_UI_INDEX)) throw new Error('The app UI is not built: run `npm run build -w @rotki-premium/app` first');
}

/** Builds the app's UI when it is not built yet. */
export function ensureAppUiBuilt(): void {
  if (existsSync(APP_UI_INDEX)) return;
  const result = spawnSync('npm', ['run', 'build', '-w', '@rotki-premium/app'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build -w @rotki-premium/app failed');
}

/** Starts `rotki-premium-app --port 0` on its own data folder and waits for it to listen. */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rotki-premium-app-e2e-'));
  const child = spawn(process.execPath, [APP_BIN, '--port', '0', '--server', options.serverUrl, '--data', dataDir], {
    env: {
      ...process.env,
      ROTKI_PREMIUM_MACHINE_ID: options.machineId,
      ...(options.deviceName === undefined ? {} : { ROTKI_PREMIUM_DEVICE_NAME: options.deviceName }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${output}`)), 120_000);
    child.stdout.on('data', () => {
      const match = /Listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<void>((resolvePromise) => {
    if (child.exitCode !== null) resolvePromise();
    else child.once('exit', () => resolvePromise());
  });
  return {
    url,
    dataDir,
    machineId: options.machineId,
    process: child,
    output: () => output,
    async api(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
