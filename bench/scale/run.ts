/**
 * Signed throughput at scale: the signed-request benchmark on an empty
 * installation, then again after seeding 100,000 accounts (each with an
 * active subscription and credentials), 400,000 devices, 1,000,000 audit
 * events and 500,000 live replay records, on SQLite and PostgreSQL. The
 * server keeps running between the two; prints both, with the ratio (target:
 * the seeded figures within 10 % of the empty ones).
 *
 * Then the sweep at that size: 120,000 expired replay records (two minutes
 * at 1,000 signed requests a second) removed by the batched sweep, in this
 * process, with the longest stall of its event loop, against one
 * unbatched DELETE of the same rows.
 *
 *   npx tsx bench/scale/run.ts [--seconds 10] [--connections 64] [--dialects sqlite,postgres] [--scale 1] [--sweep-only]
 *
 * `--scale 0.1` seeds a tenth of each count (a quick try); `--sweep-only`
 * seeds and measures the sweep without the load runs. On SQLite the seeding's
 * write-ahead log is checkpointed before the seeded run (see `seedSqlite`).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { deleteOlderThan } from '../../packages/server/src/domain/sweeps.ts';
import { openStore, type Store } from '../../packages/server/src/store/database.ts';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';
import { createSigningKeys, DEFAULT_SIGNING_KEYS, describeFigures, type LoadFigures, runLoad, signedLimits, unauthenticatedUnlocks } from '../signed-requests/load.ts';
import { ISSUE_SCALE, seedPostgres, seedSqlite, type ScaleCounts } from './seed.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    scale: { type: 'string', default: '1' },
    'sweep-only': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const factor = Number(values.scale);
const counts: ScaleCounts = {
  accounts: Math.round(ISSUE_SCALE.accounts * factor),
  devices: Math.round(ISSUE_SCALE.devices * factor),
  auditEvents: Math.round(ISSUE_SCALE.auditEvents * factor),
  replayRecords: Math.round(ISSUE_SCALE.replayRecords * factor),
};
const EXPIRED = Math.round(120_000 * factor);

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function measure(url: string, pid: number | undefined, signed: () => { path: string; headers: Record<string, string> }) {
  const options = { connections, seconds, ...(pid === undefined ? {} : { serverPid: pid }) };
  await runLoad(url, { connections, seconds: Math.min(3, seconds) }, signed);
  const baseline = await runLoad(url, options, unauthenticatedUnlocks);
  const measured = await runLoad(url, options, signed);
  return { baseline, measured };
}

function ratio(after: LoadFigures, before: LoadFigures): string {
  const rps = after.requestsPerSecond / before.requestsPerSecond;
  const cpu = after.cpuMicrosPerRequest !== null && before.cpuMicrosPerRequest !== null ? after.cpuMicrosPerRequest / before.cpuMicrosPerRequest : NaN;
  return `req/s ${rps.toFixed(2)}, CPU per request ${cpu.toFixed(2)}`;
}

/** Runs `work` while sampling this process's event loop; the longest delay in ms. */
async function longestStall(work: () => Promise<unknown>): Promise<{ ms: number; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  // The histogram records a delay between two of its samples: let it take its first one before the work starts.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  // A stall is recorded when the delayed sample finally runs: give it the chance.
  await new Promise((resolve) => setTimeout(resolve, 50));
  histogram.disable();
  return { ms, stallMs: histogram.max / 1e6 };
}

async function sweepFigures(store: Store): Promise<string> {
  const now = Date.now();
  const seedExpired = () =>
    sql`insert into replay_nonces (api_key, nonce, signature, expires_at)
        select 'rpk_expired', cast(i as text), 'x', ${now - 1} from ${
          store.dialect === 'sqlite'
            ? sql`(with recursive s(i) as (select 1 union all select i + 1 from s where i < ${sql.lit(EXPIRED)}) select i from s) s`
            : sql`generate_series(1, ${sql.lit(EXPIRED)}) s(i)`
        }`.execute(store.db);
  await seedExpired();
  const batched = await longestStall(() => deleteOlderThan(store, 'replay_nonces', now));
  await seedExpired();
  const single = await longestStall(() => sql`delete from replay_nonces where expires_at < ${now}`.execute(store.db));
  return [
    `  sweep of ${EXPIRED} expired replay records among ${counts.replayRecords} live ones:`,
    `    batched (1,000 rows per statement): ${batched.ms.toFixed(0)} ms in all, longest event-loop stall ${batched.stallMs.toFixed(1)} ms`,
    `    one DELETE:                         ${single.ms.toFixed(0)} ms in all, longest event-loop stall ${single.stallMs.toFixed(1)} ms`,
  ].join('\n');
}

console.log(`load average before the run: ${load()}`);
console.log(`seeding ${counts.accounts} accounts, ${counts.devices} devices, ${counts.auditEvents} audit events, ${counts.replayRecords} live replay records`);
for (const dialect of values.dialects.split(',') as ('sqlite' | 'postgres')[]) {
  const storage = await createTestStorage(dialect);
  const server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ROTKI_PREMIUM_LOG_LEVEL: 'warn' } });
  try {
    const keys = await createSigningKeys(() => createSubscriber(server, 'Basic'), DEFAULT_SIGNING_KEYS);
    const signed = signedLimits(keys);
    const pid = server.process.pid;
    const empty = values['sweep-only'] ? null : await measure(server.url, pid, signed);

    const seedStarted = performance.now();
    let logNote = '';
    if (dialect === 'sqlite') {
      const logBytes = seedSqlite(join(storage.dataDir, 'rotki-premium.sqlite'), counts, Date.now());
      logNote = ` (its write-ahead log of ${(logBytes / 2 ** 20).toFixed(0)} MiB checkpointed)`;
    } else await seedPostgres(storage.databaseUrl, counts, Date.now());
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(`${dialect}: seeded in ${seedSeconds.toFixed(0)} s${logNote}; load average now ${load()}`);

    if (empty !== null) {
      const seeded = await measure(server.url, pid, signed);
      console.log(
        [
          `${dialect}: ${connections} connections, ${seconds} s each`,
          '  empty:',
          describeFigures('unauthenticated GET /nest/1/limits/unlocks', empty.baseline),
          describeFigures('signed GET /nest/1/limits', empty.measured),
          '  seeded:',
          describeFigures('unauthenticated GET /nest/1/limits/unlocks', seeded.baseline),
          describeFigures('signed GET /nest/1/limits', seeded.measured),
          `  signed, seeded ÷ empty: ${ratio(seeded.measured, empty.measured)}   (target: req/s ≥ 0.90)`,
          `  unauthenticated, seeded ÷ empty: ${ratio(seeded.baseline, empty.baseline)}`,
        ].join('\n'),
      );
    }
    const store = openStore({ dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
    try {
      console.log(await sweepFigures(store));
    } finally {
      await store.destroy();
    }
  } finally {
    await server.stop();
    await storage.cleanup();
  }
}
console.log(`load average after the run: ${load()}`);
