/**
 * The static checks of `npm test`: eslint, `tsc --noEmit` over the Node.js
 * code and vue-tsc over each front end, run side by side (as many at once as
 * the machine has cores) instead of one after the other. Each check's output
 * is printed in one piece when it ends; the exit code is non-zero when any
 * check failed, after all of them ran.
 *
 * The type checks are incremental and eslint caches its results, both in
 * `.cache/` (ignored by git, outside node_modules so that `npm ci` keeps it):
 * a second run re-checks only what changed and what depends on it.
 *
 *   npx tsx scripts/static-checks.ts            all checks
 *   npx tsx scripts/static-checks.ts lint       only those whose name contains "lint"
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

interface Check {
  name: string;
  command: string;
  args: string[];
  cwd: string;
}

const CACHE = resolve(ROOT, '.cache');
const bin = (name: string) => resolve(ROOT, 'node_modules/.bin', name);
const incremental = (name: string) => ['--incremental', '--tsBuildInfoFile', resolve(CACHE, 'typecheck', `${name}.tsbuildinfo`)];
const vueTsc = (workspace: string, project: string): Check => ({
  name: `vue-tsc ${workspace}`,
  command: bin('vue-tsc'),
  args: ['--noEmit', '-p', project, ...incremental(workspace)],
  cwd: resolve(ROOT, 'packages', workspace),
});

/** Longest first (CPU seconds on a 2-core machine: 24, 13, 13, 10, 8), so that the last to start is short. */
const CHECKS: Check[] = [
  { name: 'tsc (Node.js code)', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json', ...incremental('node')], cwd: ROOT },
  // `content`: a checkout that only touched the files' times does not invalidate the cache.
  { name: 'eslint', command: bin('eslint'), args: ['.', '--cache', '--cache-strategy', 'content', '--cache-location', resolve(CACHE, 'eslint/')], cwd: ROOT },
  vueTsc('web', 'tsconfig.json'),
  vueTsc('admin', 'tsconfig.json'),
  vueTsc('app', 'ui/tsconfig.json'),
];

interface Outcome {
  check: Check;
  code: number;
  output: string;
  seconds: number;
}

function run(check: Check): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(check.command, check.args, { cwd: check.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolvePromise({ check, code: -1, output: `${output}${String(error)}\n`, seconds: (Date.now() - started) / 1000 }));
    child.on('close', (code) => resolvePromise({ check, code: code ?? -1, output, seconds: (Date.now() - started) / 1000 }));
  });
}

async function runAll(checks: Check[], parallel: number): Promise<Outcome[]> {
  const queue = [...checks];
  const outcomes: Outcome[] = [];
  async function lane(): Promise<void> {
    for (let check = queue.shift(); check !== undefined; check = queue.shift()) {
      const outcome = await run(check);
      const verdict = outcome.code === 0 ? 'ok' : `FAILED (exit ${outcome.code})`;
      process.stdout.write(`== ${check.name}: ${verdict} in ${outcome.seconds.toFixed(1)} s\n${outcome.output}`);
      outcomes.push(outcome);
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, checks.length) }, lane));
  return outcomes;
}

const filter = process.argv[2] ?? '';
const selected = CHECKS.filter((check) => check.name.includes(filter));
if (selected.length === 0) throw new Error(`no check matches "${filter}"`);
const outcomes = await runAll(selected, Math.max(1, availableParallelism()));
const failed = outcomes.filter((outcome) => outcome.code !== 0);
if (failed.length > 0) {
  console.error(`static checks failed: ${failed.map((outcome) => outcome.check.name).join(', ')}`);
  process.exitCode = 1;
}
