import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PremiumClient } from '@rotki-premium/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { REPO_ROOT } from '../../../test-support/server-process.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { Scrape } from './support/prometheus.ts';
import { call, deviceId, ENDPOINTS, registration } from './support/rotki-app.ts';

const TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-metrics-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function metricsUrlOf(server: ServerHandle): string {
  const match = /Metrics:\s+(http:\/\/\S+)/.exec(server.stdout());
  if (match?.[1] === undefined) throw new Error(`start printed no metrics URL:\n${server.stdout()}`);
  return match[1];
}

async function scrape(url: string, token: string | null = TOKEN): Promise<Scrape> {
  const response = await fetch(url, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await response.text());
}

for (const dialect of DIALECTS) {
  describe(`/metrics for Prometheus (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let domain: ServerContext;
    let metricsUrl: string;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        extraArgs: ['--metrics-port', '0'],
        env: { ROTKI_PREMIUM_METRICS_TOKEN: TOKEN },
      });
      domain = await openServerContext(server);
      metricsUrl = metricsUrlOf(server);
    });
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('is served on its own port and on the public port, only with the bearer token', async () => {
      expect(new URL(metricsUrl).port).not.toBe(new URL(server.url).port);
      for (const url of [metricsUrl, `${server.url}/metrics`]) {
        for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, TOKEN]) {
          const response = await fetch(url, authorization === undefined ? {} : { headers: { authorization } });
          expect(response.status).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        }
        await scrape(url);
      }
    });

    it('counts signed-auth outcomes by reason, device registrations and limit refusals, and times each route', async () => {
      const before = await scrape(metricsUrl);
      const who = await domain.createSubscriber('Basic');
      const url = server.url;
      for (let i = 0; i < 3; i += 1) expect((await call(url, who, ENDPOINTS.limits)).status).toBe(200);
      expect((await call(url, { ...who, apiSecret: `${who.apiSecret.slice(0, -8)}AAAAAAA=` }, ENDPOINTS.limits)).status).toBe(403);
      expect((await call(url, { apiKey: 'rpk_unknown', apiSecret: who.apiSecret }, ENDPOINTS.limits)).status).toBe(403);
      // Basic allows two devices: two registrations, the same one again, then the limit.
      for (const [seed, status] of [['a', 201], ['b', 201], ['b', 409], ['c', 422]] as const) {
        const id = deviceId(`${who.username}-${seed}`);
        expect((await call(url, who, ENDPOINTS.registerDevice, registration(id, `Device ${seed}`))).status).toBe(status);
      }
      expect((await fetch(`${url}/no/such/path`)).status).toBe(404);

      const after = await scrape(metricsUrl);
      const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
      expect(delta('rotki_premium_signed_auth_total', { outcome: 'accepted' })).toBe(3 + 4);
      expect(delta('rotki_premium_signed_auth_total', { outcome: 'signature_mismatch' })).toBe(1);
      expect(delta('rotki_premium_signed_auth_total', { outcome: 'unknown_api_key' })).toBe(1);
      expect(after.samples('rotki_premium_signed_auth_total', { outcome: 'subscription_inactive' })).toEqual([
        { name: 'rotki_premium_signed_auth_total', labels: { outcome: 'subscription_inactive' }, value: 0 },
      ]);
      expect(delta('rotki_premium_device_registrations_total', { outcome: 'registered' })).toBe(2);
      expect(delta('rotki_premium_device_registrations_total', { outcome: 'already_registered' })).toBe(1);
      expect(delta('rotki_premium_device_registrations_total', { outcome: 'limit_reached' })).toBe(1);

      const latency = 'rotki_premium_http_request_duration_seconds';
      expect(after.family(latency).type).toBe('histogram');
      const limits = { method: 'GET', route: '/nest/1/limits', status_code: '200' };
      expect(after.count(latency, limits) - before.count(latency, limits)).toBe(3);
      expect(after.count(latency, { method: 'GET', route: '/nest/1/limits', status_code: '403' })).toBeGreaterThanOrEqual(2);
      expect(after.count(latency, { method: 'PUT', route: '/nest/1/devices', status_code: '422' })).toBe(1);
      // Unmatched paths share one series: no label per probed URL.
      expect(after.count(latency, { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
      expect(after.family(latency).samples.some((s) => s.labels.route?.includes('no/such'))).toBe(false);
      expect(after.value(`${latency}_bucket`, { ...limits, le: '+Inf' })).toBe(after.count(latency, limits));
    });

    it('reports backup bytes, the upload duration and the stored total', async () => {
      const before = await scrape(metricsUrl);
      const who = await domain.createSubscriber('Basic');
      const data = randomBytes(1_234_567);
      const source = join(scratch, `${dialect}-backup.bin`);
      writeFileSync(source, data);
      const client = new PremiumClient({ baseUrl: server.url, apiKey: who.apiKey, apiSecret: who.apiSecret, deviceIdentifier: null });
      await client.uploadBackup(source, { lastModifyTs: 1_700_000_000 });

      const after = await scrape(metricsUrl);
      expect(after.value('rotki_premium_backup_upload_bytes_total') - before.value('rotki_premium_backup_upload_bytes_total')).toBe(data.length);
      const uploads = 'rotki_premium_backup_upload_duration_seconds';
      expect(after.count(uploads) - before.count(uploads)).toBe(1);
      expect(after.value('rotki_premium_backup_stored_bytes')).toBe(data.length);
      // One chunk: the upload completes with the first request.
      expect(after.count('rotki_premium_http_request_duration_seconds', { route: '/nest/1/backup/range', status_code: '200' })).toBe(1);
    });

    it('reports database query latency, the pool and event-loop delay', async () => {
      const metrics = await scrape(metricsUrl);
      expect(metrics.family('rotki_premium_db_query_duration_seconds').type).toBe('histogram');
      expect(metrics.count('rotki_premium_db_query_duration_seconds')).toBeGreaterThan(10);
      expect(metrics.value('rotki_premium_db_query_errors_total')).toBe(0);
      if (dialect === 'postgres') {
        expect(metrics.value('rotki_premium_db_pool_connections', { pool: 'main', state: 'total' })).toBeGreaterThanOrEqual(1);
        expect(metrics.samples('rotki_premium_db_pool_connections', { pool: 'replay', state: 'waiting' })).toHaveLength(1);
      } else {
        expect(metrics.family('rotki_premium_db_pool_connections').samples).toEqual([]);
      }
      expect(metrics.family('nodejs_eventloop_lag_p99_seconds').type).toBe('gauge');
      expect(metrics.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    });

    it('has every metric the Grafana dashboard in docs/ queries', async () => {
      const dashboard = readFileSync(join(REPO_ROOT, 'docs/grafana/rotki-premium-dashboard.json'), 'utf8');
      const queried = new Set([...dashboard.matchAll(/\b((?:rotki_premium|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] as string));
      expect(queried.size).toBeGreaterThan(8);
      const metrics = await scrape(metricsUrl);
      for (const name of queried) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        expect(() => metrics.family(family), name).not.toThrow();
      }
    });
  });
}
