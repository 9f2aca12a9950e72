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
 *   npx tsx bench/signed-requests/run.ts [--seconds 10] [--connections 64] [--rounds 3] [--dialects sqlite,postgres] [--log-level warn]
 *
 * `--log-level info` (the server's default) measures with a log line written
 * per request; the default `warn` writes none.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';
import { startBareServer } from './bare-server.ts';
import { bareRoute, describeFigures, runLoad, signedLimits, unauthenticatedUnlocks, type LoadFigures, type LoadOptions } from './load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    'log-level': { type: 'string', default: 'warn' },
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

console.log(`load average before the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}; server log level ${values['log-level']}`);
for (const dialect of values.dialects.split(',') as ('sqlite' | 'postgres')[]) {
  const storage = await createTestStorage(dialect);
  const server = await startServer({
    dialect,
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    env: { ROTKI_PREMIUM_LOG_LEVEL: values['log-level'] },
  });
  const unlocksBody = await (await fetch(`${server.url}/nest/1/limits/unlocks`)).text();
  const bare = await startBareServer(unlocksBody);
  try {
    const subscriber = await createSubscriber(server, 'Basic');
    const signed = signedLimits(subscriber.apiKey, subscriber.apiSecret);
    const ours: LoadOptions = {
      connections,
      seconds,
      serverPid: server.process.pid as number,
      ...(dialect === 'postgres' ? { databasePids: backendsOf(storage.databaseUrl) } : {}),
    };
    const bareOptions: LoadOptions = { connections, seconds, serverPid: bare.process.pid as number };
    // Warm every rung up before measuring.
    const warm = { connections, seconds: Math.min(seconds, 3) };
    await runLoad(bare.url, warm, bareRoute);
    await runLoad(server.url, warm, unauthenticatedUnlocks);
    await runLoad(server.url, warm, signed);
    const runs: { bare: LoadFigures[]; unauthenticated: LoadFigures[]; signed: LoadFigures[] } = { bare: [], unauthenticated: [], signed: [] };
    for (let round = 0; round < rounds; round += 1) {
      runs.bare.push(await runLoad(bare.url, bareOptions, bareRoute));
      runs.unauthenticated.push(await runLoad(server.url, ours, unauthenticatedUnlocks));
      runs.signed.push(await runLoad(server.url, ours, signed));
    }
    const b = median(runs.bare);
    const u = median(runs.unauthenticated);
    const s = median(runs.signed);
    const signedTarget = dialect === 'sqlite' ? 0.6 : 0.4;
    const cpuTarget = dialect === 'sqlite' ? 150 : 250;
    const signedCpu = (s.cpuMicrosPerRequest ?? NaN) + (s.databaseCpuMicrosPerRequest ?? 0);
    console.log(
      [
        `${dialect}: ${connections} connections, ${seconds} s each, median of ${rounds} interleaved rounds`,
        describeFigures('bare Fastify route', b),
        describeFigures('unauthenticated GET /nest/1/limits/unlocks', u),
        describeFigures('signed GET /nest/1/limits', s),
        `  unauthenticated ÷ bare:           ${ratio(u.requestsPerSecond, b.requestsPerSecond)} (target ≥ 0.5)`,
        `  signed ÷ unauthenticated:         ${ratio(s.requestsPerSecond, u.requestsPerSecond)} (target ≥ ${signedTarget})`,
        `  signed CPU per request:           ${signedCpu.toFixed(0)} µs${dialect === 'postgres' ? ' server + database' : ''} (target ≤ ${cpuTarget})`,
        `  signed p99:                       ${s.p99} ms${dialect === 'sqlite' ? ' (target ≤ 25)' : ''}`,
      ].join('\n'),
    );
    for (const [name, f] of Object.entries(runs).flatMap(([n, list]) => list.map((f) => [n, f] as const))) {
      if (f.non2xx > 0 || f.errors > 0) console.log(`  WARNING: ${name}: ${f.non2xx} non-2xx, ${f.errors} errors`);
    }
  } finally {
    await bare.stop();
    await server.stop();
    await storage.cleanup();
  }
}
console.log(`load average after the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
