import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createScratchPostgres, type ScratchDatabase } from './databases.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const SERVER_BIN = join(REPO_ROOT, 'packages/server/bin/rotki-premium.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The last line of stdout parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | null;
}

/** Runs `rotki-premium <args>` as an operator would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string, bin: string = SERVER_BIN): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        json = null;
      }
      resolvePromise({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(input ?? '');
  });
}

export interface ServerHandle {
  url: string;
  dataDir: string;
  /** Empty for SQLite. */
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** Everything the server wrote to stderr (its log) so far. */
  logs(): string;
  /** What `start` printed (its URLs). */
  stdout(): string;
  /** Runs an admin command against this server's data; throws unless it exits 0. */
  admin(args: string[]): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

/**
 * Test servers hash passwords at scrypt N=2^10 instead of 2^17: sign-ups and
 * logins take a millisecond, not a second of CPU. Tests about the cost itself
 * pass `ROTKI_PREMIUM_PASSWORD_HASH_COST` in `env`.
 */
export const TEST_PASSWORD_HASH_COST = 10;

export interface StartOptions {
  dialect: 'sqlite' | 'postgres';
  /** Reuse a data folder / database (another instance, or a restart). */
  dataDir?: string;
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  /** Options for Node.js itself (e.g. `--cpu-prof` for a benchmark's profile). */
  nodeArgs?: string[];
  /** Another checkout's `rotki-premium` bin (a benchmark's baseline); default: this one's. */
  bin?: string;
}

function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output()}`)), 60_000);
    const onData = () => {
      const match = /Listening on (https?:\/\/\S+)/.exec(output());
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output()}`));
    });
  });
}

/** Starts a real server process on 127.0.0.1 with a free port. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rotki-premium-test-'));
  const databaseUrl = options.databaseUrl ?? '';
  const env: NodeJS.ProcessEnv = {
    ROTKI_PREMIUM_DATA: dataDir,
    ROTKI_PREMIUM_DATABASE: databaseUrl,
    ROTKI_PREMIUM_LOG_LEVEL: 'info',
    ROTKI_PREMIUM_PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST),
    ...options.env,
  };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? SERVER_BIN, 'start', '--host', '127.0.0.1', '--port', '0', ...(options.extraArgs ?? [])], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await waitForListening(child, () => stdout + stderr);
  const exited = new Promise<number | null>((resolvePromise) => {
    if (child.exitCode !== null) resolvePromise(child.exitCode);
    else child.once('exit', (code) => resolvePromise(code));
  });
  return {
    url,
    dataDir,
    databaseUrl,
    env,
    process: child,
    logs: () => stderr,
    stdout: () => stdout,
    async admin(args) {
      // The server's own build: another checkout's server (a benchmark's baseline) gets its own CLI.
      const result = await runCli([...args, '--json'], env, undefined, options.bin ?? SERVER_BIN);
      if (result.code !== 0 || result.json === null) {
        throw new Error(`rotki-premium ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
      }
      return result.json;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The storage one suite runs on: a scratch folder and, for PostgreSQL, a scratch database. */
export interface TestStorage {
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl: string;
  cleanup(): Promise<void>;
}

export async function createTestStorage(dialect: 'sqlite' | 'postgres'): Promise<TestStorage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-test-'));
  let scratch: ScratchDatabase | null = null;
  if (dialect === 'postgres') scratch = await createScratchPostgres();
  return {
    dialect,
    dataDir,
    databaseUrl: scratch?.url ?? '',
    async cleanup() {
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Subscriber {
  username: string;
  password: string;
  apiKey: string;
  apiSecret: string;
}

let counter = 0;

/** An account with an active subscription of `tier` and fresh credentials, made with the admin CLI. */
export async function createSubscriber(server: ServerHandle, tier = 'Basic'): Promise<Subscriber> {
  counter += 1;
  const username = `user${process.pid}x${counter}x${Date.now() % 100000}`;
  const password = 'correct horse battery';
  await server.admin(['admin', 'account', 'create', '--username', username, '--email', `${username}@example.com`, '--password', password]);
  await server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', tier, '--months', '1']);
  const creds = await server.admin(['admin', 'credentials', 'create', '--username', username]);
  return { username, password, apiKey: String(creds.api_key), apiSecret: String(creds.api_secret) };
}
