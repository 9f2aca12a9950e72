/**
 * Where one rung's server time goes: starts the server (compiled build when
 * fresh) under `node --cpu-prof`, drives one route for `--seconds`, stops it and
 * prints the busy time's heaviest functions (self time) and, with `--strace`,
 * the system calls the server made during the load (`strace -c -f`, which slows
 * the server: read the call counts, not the times). `--bare` profiles the bare
 * Fastify rung instead, for the same comparison.
 *
 * The V8 profile samples wall time: time the server spent runnable but
 * preempted shows under the function it was in (mostly `writev`, whose wake-up
 * of the client is where the scheduler switches to it). `--perf` samples CPU
 * time only, with `perf record` (root) and Node's `--perf-basic-prof` names.
 * The main thread's scheduler figures (on a CPU, waiting for one, switches)
 * are printed either way.
 *
 *   npx tsx bench/signed-requests/profile.ts [--route unlocks|signed] [--seconds 10] [--connections 64] [--top 30] [--strace] [--perf] [--bare] [--dialect sqlite|postgres]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';
import { startBareServer } from './bare-server.ts';
import { bareRoute, createSigningKeys, DEFAULT_SIGNING_KEYS, describeFigures, runLoad, signedLimits, unauthenticatedUnlocks, type RequestSetup } from './load.ts';

const { values } = parseArgs({
  options: {
    route: { type: 'string', default: 'unlocks' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    top: { type: 'string', default: '30' },
    strace: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    dialect: { type: 'string', default: 'sqlite' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file, line), in ms, and the total busy (non-idle) time. */
function summarize(profile: CpuProfile, top: number): string {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      return;
    }
    const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(packages|dist)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  const busy = total - idle;
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const inclusive = inclusiveTimes(profile, byNode);
  const inclusiveRows = [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `profile: ${total.toFixed(0)} ms sampled, idle ${((idle / total) * 100).toFixed(1)} %, busy ${busy.toFixed(0)} ms; self time as a share of busy:`,
    ...rows.map(([key, ms]) => `  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${key}`),
    'inclusive time (the function and what it called) as a share of busy:',
    ...inclusiveRows.map(([key, ms]) => `  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${key}`),
  ].join('\n');
}

function frameKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(packages|dist)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** Time under each function (counted once per stack even when it recurses), in ms. */
function inclusiveTimes(profile: CpuProfile, byNode: Map<number, ProfileNode>): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const result = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byNode.get(at);
      if (node === undefined) break;
      const key = frameKey(node);
      if (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(root)' || seen.has(key)) continue;
      seen.add(key);
      result.set(key, (result.get(key) ?? 0) + ms);
    }
  }
  return result;
}

/** Attaches `strace -c -f` to `pid`; the returned function stops it and gives its table. */
function straceCounts(pid: number): () => Promise<string> {
  const child = spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve(out));
      child.kill('SIGINT');
    });
}

/** The main thread's scheduler figures: time on a CPU, time runnable but waiting for one (ns), and context switches. */
function schedulerFigures(pid: number): { runNs: number; waitNs: number; voluntary: number; preempted: number } {
  const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { runNs: runNs ?? NaN, waitNs: waitNs ?? NaN, voluntary: field('voluntary_ctxt_switches'), preempted: field('nonvoluntary_ctxt_switches') };
}

function describeScheduler(before: ReturnType<typeof schedulerFigures>, after: ReturnType<typeof schedulerFigures>, requests: number): string {
  const per = (a: number, b: number, scale = 1) => ((b - a) / scale / requests).toFixed(2);
  return (
    `  main thread per request: on a CPU ${per(before.runNs, after.runNs, 1000)} µs, runnable but waiting for a CPU ${per(before.waitNs, after.waitNs, 1000)} µs, ` +
    `switches voluntary ${per(before.voluntary, after.voluntary)}, preempted ${per(before.preempted, after.preempted)}`
  );
}

/** Runs `perf record` on `pid`; the returned function stops it and gives `perf report`'s heaviest symbols (self). */
function perfRecord(pid: number, dir: string, top: number): () => Promise<string> {
  const data = join(dir, 'perf.data');
  const child = spawn('perf', ['record', '-F', '1999', '-p', String(pid), '-o', data], { stdio: 'ignore' });
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => {
        const report = spawn('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,symbol', '--stdio'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        report.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        report.once('exit', () => resolve(out.split('\n').filter((line) => /^\s+\d/.test(line)).slice(0, top).map((line) => line.replace(/\s+-\s+-\s*$/, '').trimEnd()).join('\n')));
      });
      child.kill('SIGINT');
    });
}

const seconds = Number(values.seconds);
const connections = Number(values.connections);
const profileDir = mkdtempSync(join(tmpdir(), 'rotki-premium-prof-'));
// --perf-basic-prof also starts V8's log: kept in the scratch folder, not the working directory.
const perfArgs = ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(profileDir, 'v8.log')}`];
const profilerArgs = values.perf ? perfArgs : ['--cpu-prof', '--cpu-prof-dir', profileDir];
const dialect = values.dialect;
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error('--dialect must be sqlite or postgres');
const storage = await createTestStorage(dialect);
const server = await startServer({
  dialect,
  dataDir: storage.dataDir,
  databaseUrl: storage.databaseUrl,
  env: { ROTKI_PREMIUM_LOG_LEVEL: values['log-level'] },
  nodeArgs: values.bare ? [] : profilerArgs,
});
let target: { url: string; pid: number; setup: RequestSetup; stop(): Promise<unknown> };
if (values.bare) {
  const body = await (await fetch(`${server.url}/nest/1/limits/unlocks`)).text();
  const bare = await startBareServer(body, profilerArgs);
  target = { url: bare.url, pid: bare.process.pid as number, setup: bareRoute, stop: () => bare.stop() };
} else if (values.route === 'signed') {
  const keys = await createSigningKeys(() => createSubscriber(server, 'Basic'), DEFAULT_SIGNING_KEYS);
  target = { url: server.url, pid: server.process.pid as number, setup: signedLimits(keys), stop: () => server.stop() };
} else {
  target = { url: server.url, pid: server.process.pid as number, setup: unauthenticatedUnlocks, stop: () => server.stop() };
}
try {
  await runLoad(target.url, { connections, seconds: 3 }, target.setup);
  const stopStrace = values.strace ? straceCounts(target.pid) : null;
  const stopPerf = values.perf ? perfRecord(target.pid, profileDir, Number(values.top)) : null;
  const schedBefore = schedulerFigures(target.pid);
  const figures = await runLoad(target.url, { connections, seconds, serverPid: target.pid }, target.setup);
  const schedAfter = schedulerFigures(target.pid);
  const straced = stopStrace === null ? null : await stopStrace();
  const perfReport = stopPerf === null ? null : await stopPerf();
  console.log(describeFigures(values.bare ? 'bare Fastify route' : values.route, figures));
  console.log(describeScheduler(schedBefore, schedAfter, figures.requests));
  if (straced !== null) console.log(straced);
  if (perfReport !== null) console.log(`perf: CPU samples by self share\n${perfReport}`);
} finally {
  await target.stop();
  if (values.bare) await server.stop();
  await storage.cleanup();
}
const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (file !== undefined) console.log(summarize(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile, Number(values.top)));
rmSync(profileDir, { recursive: true, force: true });
