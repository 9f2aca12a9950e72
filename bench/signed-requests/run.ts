/**
 * The signed-request ladder, measured in one run: a bare Fastify route, our
 * unauthenticated `GET /nest/1/limits/unlocks` (one tier query), and the
 * signed `GET /nest/1/limits` (signature, nonce window, subscription, replay
 * record, the same tier query), on SQLite and on PostgreSQL, with autocannon.
 * Every signed request carries a new nonce, so replay protection holds
 * throughout. Rounds are interleaved (bare, unauthenticated, signed, again) and
 * the median of each is kept, so a change in the machine's load touches every
 * rung alike. Prints req/s, p99, the server's CPU time per request (and the
 * PostgreSQL backends'), and the ratios of issue 14's targets.
 *
 *   npx tsx bench/signed-requests/run.ts [--seconds 10] [--connections 64] [--rounds 3] [--dialects sqlite,postgres] [--log-level warn] [--baseline DIR]
 *
 * `--log-level info` (the server's default) measures with a log line written
 * per request; the default `warn` writes none. `--baseline DIR` measures a
 * second server, another checkout's build (e.g. a worktree of main, built with
 * `npx tsx scripts/build-cli.ts` there), in the same rounds: its rungs run
 * just before ours, and the figures print side by side.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createSubscriber, createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../test-support/server-process.ts';
import { startBareServer } from './bare-server.ts';
import {
  bareRoute,
  createSigningKeys,
  DEFAULT_SIGNING_KEYS,
  describeFigures,
  runLoad,
  signedLimits,
  unauthenticatedUnlocks,
  type LoadFigures,
  type LoadOptions,
} from './load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    'log-level': { type: 'string', default: 'warn' },
    baseline: { type: 'string' },
    keys: { type: 'string', default: String(DEFAULT_SIGNING_KEYS) },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);

function median(runs: LoadFigures[]): LoadFigures {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as LoadFigures;
}

/** The PostgreSQL backends serving `databaseUrl`'s database, for their CPU time. */
function backendsOf(databaseUrl: string): () => Promise<number[]> {
  const name = new URL(databaseUrl).pathname.slice(1);
  return async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const result = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      return result.rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

interface Instance {
  storage: TestStorage;
  server: ServerHandle;
  options: LoadOptions;
  signed: ReturnType<typeof signedLimits>;
}

/** A server on a scratch database with `--keys` Basic subscribers; `bin` is another checkout's (the baseline). */
async function startInstance(dialect: 'sqlite' | 'postgres', bin: string | undefined): Promise<Instance> {
  const storage = await createTestStorage(dialect);
  const server = await startServer({
    dialect,
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    env: { ROTKI_PREMIUM_LOG_LEVEL: values['log-level'] },
    ...(bin === undefined ? {} : { bin }),
  });
  const keys = await createSigningKeys(() => createSubscriber(server, 'Basic'), Number(values.keys));
  const options: LoadOptions = {
    connections,
    seconds,
    serverPid: server.process.pid as number,
    ...(dialect === 'postgres' ? { databasePids: backendsOf(storage.databaseUrl) } : {}),
  };
  return { storage, server, options, signed: signedLimits(keys) };
}

async function stopInstance(instance: Instance | null): Promise<void> {
  if (instance === null) return;
  await instance.server.stop();
  await instance.storage.cleanup();
}

type Rung = 'bare' | 'unauthenticated' | 'signed' | 'baseline unauthenticated' | 'baseline signed';

console.log(`load average before the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}; server log level ${values['log-level']}`);
const baselineBin = values.baseline === undefined ? undefined : join(values.baseline, 'packages/server/bin/rotki-premium.js');
for (const dialect of values.dialects.split(',') as ('sqlite' | 'postgres')[]) {
  const ours = await startInstance(dialect, undefined);
  const base = baselineBin === undefined ? null : await startInstance(dialect, baselineBin);
  const unlocksBody = await (await fetch(`${ours.server.url}/nest/1/limits/unlocks`)).text();
  const bare = await startBareServer(unlocksBody);
  try {
    const bareOptions: LoadOptions = { connections, seconds, serverPid: bare.process.pid as number };
    type RungRun = [Rung, () => Promise<LoadFigures>];
    const rungs: RungRun[] = [['bare', () => runLoad(bare.url, bareOptions, bareRoute)]];
    if (base !== null) rungs.push(['baseline unauthenticated', () => runLoad(base.server.url, base.options, unauthenticatedUnlocks)]);
    rungs.push(['unauthenticated', () => runLoad(ours.server.url, ours.options, unauthenticatedUnlocks)]);
    if (base !== null) rungs.push(['baseline signed', () => runLoad(base.server.url, base.options, base.signed)]);
    rungs.push(['signed', () => runLoad(ours.server.url, ours.options, ours.signed)]);
    // Warm every rung up before measuring.
    const warm = { connections, seconds: Math.min(seconds, 3) };
    await runLoad(bare.url, warm, bareRoute);
    for (const instance of base === null ? [ours] : [base, ours]) {
      await runLoad(instance.server.url, warm, unauthenticatedUnlocks);
      await runLoad(instance.server.url, warm, instance.signed);
    }
    const runs = new Map<Rung, LoadFigures[]>(rungs.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, run] of rungs) runs.get(name)?.push(await run());
    }
    const medianOf = (name: Rung) => median(runs.get(name) ?? []);
    const b = medianOf('bare');
    const u = medianOf('unauthenticated');
    const s = medianOf('signed');
    const signedTarget = dialect === 'sqlite' ? 0.6 : 0.4;
    const cpuTarget = dialect === 'sqlite' ? 150 : 250;
    const cpuOf = (f: LoadFigures) => (f.cpuMicrosPerRequest ?? NaN) + (f.databaseCpuMicrosPerRequest ?? 0);
    const lines = [
      `${dialect}: ${connections} connections, ${seconds} s each, median of ${rounds} interleaved rounds`,
      describeFigures('bare Fastify route', b),
    ];
    if (base !== null) lines.push(describeFigures('baseline unauthenticated', medianOf('baseline unauthenticated')));
    lines.push(describeFigures('unauthenticated GET /nest/1/limits/unlocks', u));
    if (base !== null) lines.push(describeFigures('baseline signed', medianOf('baseline signed')));
    lines.push(
      describeFigures('signed GET /nest/1/limits', s),
      `  unauthenticated ÷ bare:           ${ratio(u.requestsPerSecond, b.requestsPerSecond)} (target ≥ 0.5)`,
      `  signed ÷ unauthenticated:         ${ratio(s.requestsPerSecond, u.requestsPerSecond)} (target ≥ ${signedTarget})`,
      `  signed CPU per request:           ${cpuOf(s).toFixed(0)} µs${dialect === 'postgres' ? ' server + database' : ''} (target ≤ ${cpuTarget})`,
      `  signed p99:                       ${s.p99} ms${dialect === 'sqlite' ? ' (target ≤ 25)' : ''}`,
    );
    if (base !== null) {
      const bu = medianOf('baseline unauthenticated');
      const bs = medianOf('baseline signed');
      lines.push(
        `  against the baseline (this ÷ baseline): unauthenticated CPU ${ratio(cpuOf(u), cpuOf(bu))}, req/s ${ratio(u.requestsPerSecond, bu.requestsPerSecond)}; ` +
          `signed CPU ${ratio(cpuOf(s), cpuOf(bs))}, req/s ${ratio(s.requestsPerSecond, bs.requestsPerSecond)}`,
        `  baseline unauthenticated ÷ bare: ${ratio(bu.requestsPerSecond, b.requestsPerSecond)}`,
      );
    }
    console.log(lines.join('\n'));
    for (const [name, list] of runs) {
      for (const f of list) if (f.non2xx > 0 || f.errors > 0) console.log(`  WARNING: ${name}: ${f.non2xx} non-2xx, ${f.errors} errors`);
    }
  } finally {
    await bare.stop();
    await stopInstance(base);
    await stopInstance(ours);
  }
}
console.log(`load average after the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
