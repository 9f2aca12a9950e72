/**
 * Signed-request throughput: signed `GET /nest/1/limits` (signature, nonce
 * window, subscription and replay checks, one replay-table insert) against the
 * unauthenticated `GET /nest/1/limits/unlocks` of the same server, in the same
 * run, 64 connections, on SQLite and on PostgreSQL. Every request is signed
 * afresh (new nonce), so replay protection holds throughout. Besides req/s and
 * p99, prints the server process's CPU time per request (steadier than req/s
 * on a shared machine).
 *
 *   npx tsx bench/signed-requests/run.ts [--seconds 10] [--connections 64] [--dialects sqlite,postgres]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';
import { describeFigures, runLoad, signedLimits, unauthenticatedUnlocks } from './load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

console.log(`load average before the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const dialect of values.dialects.split(',') as ('sqlite' | 'postgres')[]) {
  const storage = await createTestStorage(dialect);
  const server = await startServer({
    dialect,
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    env: { ROTKI_PREMIUM_LOG_LEVEL: 'warn' },
  });
  try {
    const subscriber = await createSubscriber(server, 'Basic');
    const options = { connections, seconds, serverPid: server.process.pid };
    const signed = signedLimits(subscriber.apiKey, subscriber.apiSecret);
    // Warm both paths up before measuring.
    await runLoad(server.url, { connections, seconds: Math.min(seconds, 3) }, unauthenticatedUnlocks);
    await runLoad(server.url, { connections, seconds: Math.min(seconds, 3) }, signed);
    const baseline = await runLoad(server.url, options, unauthenticatedUnlocks);
    const measured = await runLoad(server.url, options, signed);
    console.log(
      [
        `${dialect}: ${connections} connections, ${seconds} s each`,
        describeFigures('unauthenticated GET /nest/1/limits/unlocks', baseline),
        describeFigures('signed GET /nest/1/limits', measured),
        `  ratio signed/unauthenticated: ${(measured.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}`,
      ].join('\n'),
    );
    if (measured.non2xx > 0 || measured.errors > 0) console.log(`  WARNING: ${measured.non2xx} non-2xx, ${measured.errors} errors`);
  } finally {
    await server.stop();
    await storage.cleanup();
  }
}
console.log(`load average after the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
