/**
 * Big bodies before authentication (issue 8): how `/health/live` and the
 * server's event loop fare while clients keep sending 11 MB JSON bodies to
 * `POST /nest/1/devices/check`, against the same server idle, in the same run.
 * The event-loop delay is the server's own (`perf_hooks.monitorEventLoopDelay`
 * through prom-client's default metrics, reset at every scrape).
 *
 *   npx tsx bench/hostile-bodies/run.ts [--seconds 5] [--clients 3]
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { generateApiCredentials, quotePlus } from '@rotki-premium/protocol';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, clients: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const BODY = Buffer.from(`{"device_identifier": "${'a'.repeat(11 * 1024 * 1024 - 40)}", "nonce": 1}`);

function post(url: string, apiKey: string): Promise<number> {
  return new Promise((resolve) => {
    const target = new URL('/nest/1/devices/check', url);
    const req = request(
      target,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(BODY.length), 'api-key': apiKey, 'api-sign': 'c2ln' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(BODY);
  });
}

async function eventLoop(metricsUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}

async function phase(url: string, metricsUrl: string, apiKey: string | null) {
  await eventLoop(metricsUrl); // resets the histogram
  const until = Date.now() + seconds * 1000;
  const statuses = new Map<number, number>();
  const attackers = apiKey === null ? [] : Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const status = await post(url, apiKey);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  const latencies: number[] = [];
  while (Date.now() < until) {
    const start = performance.now();
    await (await fetch(`${url}/health/live`)).arrayBuffer();
    latencies.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await Promise.all(attackers);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { health: { p50: at(0.5), p99: at(0.99), max: at(1) }, loop: await eventLoop(metricsUrl), statuses: Object.fromEntries(statuses) };
}

const storage = await createTestStorage('sqlite');
const server = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir, env: { ROTKI_PREMIUM_LOG_LEVEL: 'warn', ROTKI_PREMIUM_METRICS_PORT: '0' } });
try {
  const metricsUrl = /Metrics:\s+(\S+)/.exec(server.stdout())?.[1] ?? '';
  const known = await createSubscriber(server, 'Basic');
  const rows: [string, Awaited<ReturnType<typeof phase>>][] = [
    ['idle (baseline)', await phase(server.url, metricsUrl, null)],
    ['malformed API-KEY', await phase(server.url, metricsUrl, 'x')],
    ['unknown well-formed API-KEY', await phase(server.url, metricsUrl, generateApiCredentials().apiKey)],
    ['known API-KEY, body over 8 KiB', await phase(server.url, metricsUrl, known.apiKey)],
  ];
  const ms = (n: number) => n.toFixed(1);
  console.log(`| while ${clients} clients send 11 MB bodies (${seconds} s) | /health p50 | p99 | max | event loop p99 | max | answers |`);
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const [name, r] of rows) {
    const answers = Object.entries(r.statuses).map(([status, count]) => `${count}× ${status}`).join(', ') || '–';
    console.log(`| ${name} | ${ms(r.health.p50)} ms | ${ms(r.health.p99)} ms | ${ms(r.health.max)} ms | ${ms(r.loop.p99)} ms | ${ms(r.loop.max)} ms | ${answers} |`);
  }
} finally {
  await server.stop();
  await storage.cleanup();
}

// The re-encoding of a signed JSON body, on an 11 MB value: the former per-character encoder against the linear one.
function formerQuotePlus(text: string): string {
  let out = '';
  for (const char of text) {
    if (char === ' ') out += '+';
    else if (/[A-Za-z0-9_.\-~]/.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const text = 'é a-Z'.repeat(11 * 1024 * 1024 / 5);
const time = (encode: (s: string) => string) => {
  const start = performance.now();
  encode(text);
  return performance.now() - start;
};
const former = time(formerQuotePlus);
const linear = time(quotePlus);
console.log(`\nquote_plus of 11 MB: former ${former.toFixed(0)} ms, now ${linear.toFixed(0)} ms (${(former / linear).toFixed(1)}× faster)`);
