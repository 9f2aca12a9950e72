import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PremiumClient } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliProgram, CLI_PROGRAMS } from '../../../scripts/build-cli.ts';
import { BUILD_INFO, isBuildFresh } from '../../../scripts/launch.js';
import { DIALECTS } from '../../../test-support/databases.ts';
import { createTestStorage, REPO_ROOT, type TestStorage } from '../../../test-support/server-process.ts';

/**
 * The compiled programs (scripts/build-cli.ts), as production runs them:
 * plain `node` on the build, no TypeScript loader. Built into a scratch folder
 * under node_modules/.cache, so that the build finds the external packages
 * (better-sqlite3, the S3 client) as it does from packages/<name>/dist, and
 * never touches the builds other test files or a running server may use.
 */
function scratchInCache(prefix: string): string {
  const cache = join(REPO_ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  return mkdtempSync(join(cache, prefix));
}

const OUT = scratchInCache('rotki-premium-build-test-');
const SERVER_MAIN = join(OUT, 'rotki-premium', 'main.js');
const APP_MAIN = join(OUT, 'rotki-premium-app', 'main.js');

/** The child's environment: no loader inherited from the test runner, no ROTKI_PREMIUM_* of the caller. */
function plainEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name !== 'NODE_OPTIONS' && !name.startsWith('ROTKI_PREMIUM_') && !name.startsWith('VITEST')) env[name] = value;
  }
  return { ...env, ...extra };
}

function runBuilt(main: string, args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [main, ...args], { env: plainEnv(env), encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Running {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

async function startBuilt(main: string, args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [main, ...args], { env: plainEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const match = /Listening on (https?:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The text of every output file a program loads before running any command: its entry and the chunks it imports statically. */
function staticallyLoaded(outDir: string, entries: string[] = ['main.js']): string {
  const seen = new Set<string>();
  const pending = [...entries];
  let text = '';
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(join(outDir, file), 'utf8');
    text += source;
    for (const match of source.matchAll(/^import\s*(?:[^"';]*?\sfrom\s*)?"\.\/([^"]+)";/gm)) pending.push(match[1] as string);
  }
  return text;
}

beforeAll(async () => {
  for (const program of CLI_PROGRAMS) await buildCliProgram(program, join(OUT, program.name));
}, 180_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('the compiled build', () => {
  it('is JavaScript that imports no TypeScript and no loader', () => {
    for (const program of CLI_PROGRAMS) {
      const dir = join(OUT, program.name);
      const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
      expect(files).toContain('main.js');
      for (const file of files) {
        const source = readFileSync(join(dir, file), 'utf8');
        expect(source, `${program.name}/${file}`).not.toMatch(/(?:from\s*|import\s*\(\s*|import\s*)["'][^"']*\.ts["']/);
        expect(source, `${program.name}/${file}`).not.toMatch(/["']tsx(?:\/[^"']*)?["']\s*\)?;/);
      }
    }
  });

  it('loads the HTTP stack, the PostgreSQL driver, the logger, mail, payments and the S3 client only when a command uses them', () => {
    const server = staticallyLoaded(join(OUT, 'rotki-premium'));
    expect(server).toContain('// packages/server/src/cli.ts');
    const lazy = [
      '// node_modules/fastify/',
      '// node_modules/pg/',
      '// node_modules/pino/',
      '// node_modules/nodemailer/',
      '// node_modules/viem/',
      '// node_modules/stripe/',
      'from "@aws-sdk/client-s3"',
    ];
    for (const module of lazy) expect(server).not.toContain(module);
    // …and they are in the build, behind a dynamic import.
    const all = readdirSync(join(OUT, 'rotki-premium')).map((f) => readFileSync(join(OUT, 'rotki-premium', f), 'utf8')).join('');
    for (const module of lazy) expect(all).toContain(module);
    // pdfkit stays outside the bundle (its fonts are found through its package's imports), loaded on demand.
    expect(server).not.toContain('from "pdfkit"');
    expect(all).toContain('import("pdfkit")');
    expect(all).not.toContain('// node_modules/pdfkit/');
    // zod's messages in English only: the other locales are not in the build at all.
    expect(all).toContain('// node_modules/zod/v4/locales/en.js');
    expect(all).not.toContain('// node_modules/zod/v4/locales/de.js');
    const app = staticallyLoaded(join(OUT, 'rotki-premium-app'));
    expect(app).not.toContain('// node_modules/fastify/');
    // The password estimator's dictionaries (decompressed as they load) come with the first password set, in both programs.
    expect(app).not.toContain('// node_modules/@zxcvbn-ts/');
    expect(server).not.toContain('// node_modules/@zxcvbn-ts/');
  });

  it('starts the server without the API reference and its document, card payments, mail or QR libraries, which load on first use', () => {
    const dir = join(OUT, 'rotki-premium');
    const appChunk = readdirSync(dir).find((f) => f.endsWith('.js') && readFileSync(join(dir, f), 'utf8').includes('// packages/server/src/http/app.ts'));
    expect(appChunk).toBeDefined();
    const atStart = staticallyLoaded(dir, ['main.js', appChunk as string]);
    expect(atStart).toContain('// node_modules/fastify/');
    for (const module of ['@scalar/fastify-api-reference', '@fastify/swagger', 'yaml', 'stripe', 'nodemailer', 'qrcode', 'glob']) {
      expect(atStart, module).not.toContain(`// node_modules/${module}/`);
    }
    // Fastify's JSON-schema compilers and inject's request builder: not in the build at all (every app gets our compilers).
    const all = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    for (const module of ['@fastify/ajv-compiler', 'ajv', 'ajv-formats', 'light-my-request', 'glob']) {
      expect(all, module).not.toContain(`// node_modules/${module}/`);
    }
  });

  for (const dialect of DIALECTS) {
    describe(`rotki-premium on ${dialect}`, () => {
      let storage: TestStorage;
      let env: NodeJS.ProcessEnv;
      let server: Running;
      let credentials: { api_key: string; api_secret: string };

      beforeAll(async () => {
        storage = await createTestStorage(dialect);
        env = { ROTKI_PREMIUM_DATA: storage.dataDir, ROTKI_PREMIUM_DATABASE: storage.databaseUrl };
        const created = runBuilt(SERVER_MAIN, ['admin', 'account', 'create', '--username', 'built', '--email', 'built@example.com', '--json'], {
          ...env,
          ROTKI_PREMIUM_PASSWORD: 'correct horse battery',
        });
        expect(created.stderr).toBe('');
        expect(created.code).toBe(0);
        expect(runBuilt(SERVER_MAIN, ['admin', 'subscription', 'grant', '--username', 'built', '--tier', 'Basic', '--months', '1'], env).code).toBe(0);
        const pair = runBuilt(SERVER_MAIN, ['admin', 'credentials', 'create', '--username', 'built', '--json'], env);
        expect(pair.code).toBe(0);
        credentials = JSON.parse(pair.stdout.trim()) as { api_key: string; api_secret: string };
        server = await startBuilt(SERVER_MAIN, ['start', '--host', '127.0.0.1', '--port', '0'], env);
      });
      afterAll(async () => {
        await server?.stop();
        await storage?.cleanup();
      });

      it('runs admin commands with the usage errors of the sources', () => {
        const unknown = runBuilt(SERVER_MAIN, ['admin', 'subscription', 'grant', '--username', 'nobody', '--tier', 'Basic', '--months', '1'], env);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/^error: .*nobody/);
        const tiers = runBuilt(SERVER_MAIN, ['admin', 'tiers', 'list', '--json'], env);
        expect(JSON.parse(tiers.stdout.trim())).toMatchObject({ tiers: expect.arrayContaining([expect.objectContaining({ name: 'Basic', device_limit: 2 })]) });
      });

      it('serves signed premium requests and finds the website beside its sources', async () => {
        const client = new PremiumClient({ baseUrl: server.url, apiKey: credentials.api_key, apiSecret: credentials.api_secret, deviceIdentifier: null });
        expect(await client.limits()).toMatchObject({ current_tier: 'Basic', limit_of_devices: 2 });
        const site = await fetch(`${server.url}/`);
        const built = existsSync(join(REPO_ROOT, 'packages/web/dist/index.html'));
        expect(site.status).toBe(built ? 200 : 503);
        if (!built) expect(server.output()).toContain(JSON.stringify(join(REPO_ROOT, 'packages/web/dist')));
      });
    });
  }

  it('runs rotki-premium-app: a command, and the app server with its UI found beside its sources', async () => {
    const data = mkdtempSync(join(tmpdir(), 'rotki-premium-app-built-'));
    try {
      const list = runBuilt(APP_MAIN, ['user', 'list', '--json', '--data', data], {});
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(list.stdout.trim())).toEqual({ users: [] });
      const app = await startBuilt(APP_MAIN, ['--port', '0', '--data', data], {});
      try {
        const page = await (await fetch(`${app.url}/`)).text();
        if (existsSync(join(REPO_ROOT, 'packages/app/dist/ui/index.html'))) expect(page).toMatch(/<!doctype html>/i);
        else expect(page).toContain('The app UI is not built');
      } finally {
        await app.stop();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('the bins', () => {
  /** A scratch program laid out as ours: bin/, src/main.ts, dist/main.js with its build-info. */
  function scratchProgram(): { dir: string; run: () => string; input: string } {
    const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-launch-test-'));
    for (const sub of ['bin', 'src', 'dist']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const launcher = join(REPO_ROOT, 'scripts/launch.js');
    writeFileSync(
      join(dir, 'bin/program.js'),
      `import { launch } from ${JSON.stringify(launcher)};\nawait launch(import.meta.url, { build: '../dist/main.js', sources: '../src/main.ts' });\n`,
    );
    const input = join(dir, 'src/main.ts');
    writeFileSync(input, "const from: string = 'sources';\nprocess.stdout.write(from);\n");
    writeFileSync(join(dir, 'dist/main.js'), "process.stdout.write('build');\n");
    writeFileSync(join(dir, 'dist', BUILD_INFO), JSON.stringify({ inputs: { '../src/main.ts': statSync(input).mtimeMs } }));
    return {
      dir,
      input,
      run: () => {
        const result = runBuilt(join(dir, 'bin/program.js'), [], {});
        expect(result).toMatchObject({ code: 0, stderr: '' });
        return result.stdout;
      },
    };
  }

  it('run the build while it matches its sources, and the sources through tsx once a source changed or went away', () => {
    const program = scratchProgram();
    try {
      expect(isBuildFresh(join(program.dir, 'dist'))).toBe(true);
      expect(program.run()).toBe('build');
      utimesSync(program.input, new Date(), new Date(Date.now() + 5_000));
      expect(isBuildFresh(join(program.dir, 'dist'))).toBe(false);
      expect(program.run()).toBe('sources');
      rmSync(join(program.dir, 'dist', BUILD_INFO));
      expect(program.run()).toBe('sources');
    } finally {
      rmSync(program.dir, { recursive: true, force: true });
    }
  });
});
