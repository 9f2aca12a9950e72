/**
 * Start-up cost, compiled build against TypeScript sources, in one run: an
 * admin command (`admin tiers list`, which opens and checks the database), an
 * app command (`rotki-premium-app user list`), and a server start up to its
 * first answered request (`GET /nest/1/limits/unlocks`), each against a bare
 * `node -e ''` measured in between. Builds the programs first (`npm run build:cli`).
 * With `--baseline DIR` (another checkout, its programs built with
 * `npm run build:cli` there), its admin command and server start are timed in
 * the same rounds. A bare Fastify 5 server with one route, started the same
 * way, is the floor of any server's start on this framework and machine. A
 * start's CPU is the server process's own, all threads summed
 * (`/proc/PID/task/TID/schedstat`, Linux), up to its first answer.
 *
 *   npx tsx bench/startup/run.ts [--runs 15] [--baseline DIR]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../test-support/server-process.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string' } } });
const runs = Number(values.runs);
const BASELINE_BUILD = values.baseline === undefined ? null : join(values.baseline, 'packages/server/dist/main.js');

const SERVER_BUILD = join(REPO_ROOT, 'packages/server/dist/main.js');
const SERVER_SOURCES = join(REPO_ROOT, 'packages/server/src/main.ts');
const APP_BUILD = join(REPO_ROOT, 'packages/app/dist/cli/main.js');
const APP_SOURCES = join(REPO_ROOT, 'packages/app/src/main.ts');
/** How the bins run the sources: tsx registered in the process. */
const TSX = ['--import', 'tsx'];

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Runs a command to its end; wall time and the CPU time of the process (user + system), from bash's `times`. */
function timeCommand(argv: string[], env: NodeJS.ProcessEnv): Sample {
  const script = 's=$EPOCHREALTIME; "$@" >/dev/null 2>&1 || exit 97; e=$EPOCHREALTIME; echo "$s $e"; times';
  const result = spawnSync('bash', ['-c', script, 'bench', ...argv], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr}`);
  const [clock, , children] = result.stdout.trim().split('\n');
  const [start, end] = (clock ?? '').split(' ').map(Number);
  const seconds = [...(children ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wallMs: ((end ?? 0) - (start ?? 0)) * 1000, cpuMs: ((seconds[0] ?? 0) + (seconds[1] ?? 0)) * 1000 };
}

/** A bare Fastify 5 server: one route, no logger, printing its address as our server does. */
const BARE_FASTIFY = `
const { default: Fastify } = await import('fastify');
const app = Fastify({ logger: false });
app.get('/nest/1/limits/unlocks', (_request, reply) => { reply.send({ result: {} }); });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write('Listening on ' + url + '\\n');
`;

/** CPU time so far of a running process, all its threads, in ms; NaN where /proc has no schedstat. */
function processCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Starts a server (`argv` after node) and measures from the spawn to its first answered request. */
async function timeFirstRequest(argv: string[]): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO_ROOT });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Listening on (\S+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const response = await fetch(`${url}/nest/1/limits/unlocks`);
    await response.arrayBuffer();
    const wallMs = performance.now() - started;
    if (response.status !== 200) throw new Error(`first request answered ${response.status}`);
    return { wallMs, cpuMs: child.pid === undefined ? Number.NaN : processCpuMs(child.pid) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const build = spawnSync('npx', ['tsx', 'scripts/build-cli.ts', '--if-stale'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('build failed');

const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-bench-startup-'));
const env = { ROTKI_PREMIUM_DATA: dataDir, ROTKI_PREMIUM_APP_DATA: join(dataDir, 'app') };
const load = loadavg().map((l) => l.toFixed(1)).join(' ');

const commands: Record<string, string[]> = {
  "node -e ''": [process.execPath, '-e', ''],
  'admin tiers list (build)': [process.execPath, SERVER_BUILD, 'admin', 'tiers', 'list'],
  'admin tiers list (sources)': [process.execPath, ...TSX, SERVER_SOURCES, 'admin', 'tiers', 'list'],
  'app user list (build)': [process.execPath, APP_BUILD, 'user', 'list'],
  'app user list (sources)': [process.execPath, ...TSX, APP_SOURCES, 'user', 'list'],
  ...(BASELINE_BUILD === null ? {} : { 'admin tiers list (baseline build)': [process.execPath, BASELINE_BUILD, 'admin', 'tiers', 'list'] }),
};
const samples = new Map<string, Sample[]>(Object.keys(commands).map((name) => [name, []]));
const serverArgs = (entry: string[]) => [...entry, 'start', '--port', '0', '--data', dataDir, '--log-level', 'warn'];
const startCommands: Record<string, string[]> = {
  'start → first answer (build)': serverArgs([SERVER_BUILD]),
  'start → first answer (sources)': serverArgs([...TSX, SERVER_SOURCES]),
  ...(BASELINE_BUILD === null ? {} : { 'start → first answer (baseline build)': serverArgs([BASELINE_BUILD]) }),
  'start → first answer (bare Fastify, one route)': ['--input-type=module', '-e', BARE_FASTIFY],
};
const starts = new Map<string, Sample[]>(Object.keys(startCommands).map((name) => [name, []]));
try {
  // Creates the database, so that every measured run opens an existing one.
  timeCommand(commands['admin tiers list (build)'] ?? [], env);
  // Interleaved, so that a change in the machine's load touches every row alike.
  for (let run = 0; run < runs; run += 1) {
    for (const [name, argv] of Object.entries(commands)) samples.get(name)?.push(timeCommand(argv, env));
    for (const [name, argv] of Object.entries(startCommands)) starts.get(name)?.push(await timeFirstRequest(argv));
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const bare = samples.get("node -e ''") ?? [];
const bareWall = median(bare.map((s) => s.wallMs));
const bareCpu = median(bare.map((s) => s.cpuMs));
const lines = [
  `${runs} runs each, interleaved; load average before the run: ${load}`,
  '',
  "| | wall ms (median) | ÷ node -e '' | CPU ms (median) | ÷ node -e '' |",
  '|---|---:|---:|---:|---:|',
];
for (const [name, list] of [...samples, ...starts]) {
  const wall = median(list.map((s) => s.wallMs));
  const cpu = median(list.map((s) => s.cpuMs));
  const cpuCells = Number.isNaN(cpu) ? '| – | – |' : `| ${cpu.toFixed(0)} | ${(cpu / bareCpu).toFixed(2)} |`;
  lines.push(`| ${name} | ${wall.toFixed(0)} | ${(wall / bareWall).toFixed(2)} ${cpuCells}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
