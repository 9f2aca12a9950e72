/**
 * Signed-request throughput: signed `GET /nest/1/limits` (signature, nonce
 * window, subscription and replay checks, one replay-table insert) against the
 * unauthenticated `GET /nest/1/limits/unlocks` of the same server, in the same
 * run, 64 connections, on SQLite and on PostgreSQL. Every request is signed
 * afresh (new nonce), so replay protection holds throughout.
 *
 *   npx tsx bench/signed-requests/run.ts [--seconds 10] [--connections 64] [--dialects sqlite,postgres]
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { API_KEY_HEADER, API_SIGN_HEADER, decodeApiSecret, signEncoded } from '@rotki-premium/protocol';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

interface Figures {
  requestsPerSecond: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function run(url: string, setup: () => { path: string; headers: Record<string, string> }): Promise<Figures> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const { path, headers } = setup();
              return { ...request, path, headers: { ...request.headers, ...headers } };
            },
          },
        ],
      },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error);
          return;
        }
        resolve({
          requestsPerSecond: result.requests.average,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
        });
      },
    );
  });
}

let lastNonce = 0;

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
    const secret = decodeApiSecret(subscriber.apiSecret);
    if (secret === null) throw new Error('bad secret');

    // Warm both paths up before measuring.
    const unsigned = () => ({ path: '/nest/1/limits/unlocks', headers: {} });
    const signed = () => {
      // Several requests start in the same millisecond: keep nonces strictly increasing so
      // none is refused as a replay (they run ahead of the clock by seconds at most).
      lastNonce = Math.max(Date.now(), lastNonce + 1);
      const query = `nonce=${lastNonce}`;
      return {
        path: `/nest/1/limits?${query}`,
        headers: { [API_KEY_HEADER]: subscriber.apiKey, [API_SIGN_HEADER]: signEncoded(secret, 'limits', query) },
      };
    };
    await run(server.url, unsigned);
    const baseline = await run(server.url, unsigned);
    const measured = await run(server.url, signed);
    const ratio = measured.requestsPerSecond / baseline.requestsPerSecond;
    console.log(
      [
        `${dialect}: ${connections} connections, ${seconds} s each`,
        `  unauthenticated GET /nest/1/limits/unlocks: ${baseline.requestsPerSecond.toFixed(0)} req/s, p99 ${baseline.p99} ms, non-2xx ${baseline.non2xx}`,
        `  signed GET /nest/1/limits:                  ${measured.requestsPerSecond.toFixed(0)} req/s, p99 ${measured.p99} ms, non-2xx ${measured.non2xx}`,
        `  ratio signed/unauthenticated: ${ratio.toFixed(2)}`,
      ].join('\n'),
    );
    if (measured.non2xx > 0 || measured.errors > 0) console.log(`  WARNING: ${measured.non2xx} non-2xx, ${measured.errors} errors`);
  } finally {
    await server.stop();
    await storage.cleanup();
  }
}
