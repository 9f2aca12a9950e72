import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENDPOINTS } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, DIALECTS, type ScratchDatabase } from '../../../test-support/databases.ts';
import { startS3Server, type S3Server } from '../../../test-support/s3-server.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { REPO_ROOT, runCli, startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { itServesTheRotkiApp, runRotkiLikeClient, type ConformanceRun } from './support/rotki-app-conformance.ts';
import { deviceId, prepare, registration, type PreparedRequest } from './support/rotki-app.ts';

/** The recipe of docs/deploy.md, run as it is but for ports and certificate paths. */
const SITE_CONFIG = join(REPO_ROOT, 'docs/deploy/nginx-rotki-premium.conf');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error('nginx did not listen');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An HTTPS request to the proxy for rotki.com, trusting only our CA. */
function viaProxy(port: number, ca: string, prepared: PreparedRequest, body?: Buffer): Promise<{ status: number; server: string; text: string }> {
  const payload = body ?? (prepared.body === undefined ? undefined : Buffer.from(prepared.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'rotki.com',
        ca,
        method: prepared.method,
        path: prepared.path,
        headers: { ...prepared.headers, host: 'rotki.com', ...(payload === undefined ? {} : { 'content-length': String(payload.length) }) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, server: String(res.headers.server ?? ''), text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// Two instances need a shared database: PostgreSQL.
describe.runIf(DIALECTS.includes('postgres'))('nginx terminating TLS in front of two instances on PostgreSQL and S3 (docs/deploy.md)', () => {
  let scratch: string;
  let database: ScratchDatabase;
  let s3: S3Server;
  const instances: ServerHandle[] = [];
  let admin: ServerContext;
  let nginx: ChildProcess;
  let port: number;
  let ca: string;
  let who: Subscriber;
  let conformance: ConformanceRun;

  beforeAll(async () => {
    if (NGINX === undefined) throw new Error('nginx is not installed: apt-get install -y nginx (.ci/run does)');
    scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-nginx-'));
    database = await createScratchPostgres();
    s3 = await startS3Server();
    await s3.createBucket('proxied');
    const issued = await runCli(['tls', 'issue', '--hostname', 'rotki.com', '--out', join(scratch, 'tls'), '--json'], {});
    expect(issued.code).toBe(0);
    ca = readFileSync(join(scratch, 'tls', 'ca.pem'), 'utf8');

    const shared = { ...s3.envFor('proxied'), ROTKI_PREMIUM_MASTER_KEY: randomBytes(32).toString('hex'), ROTKI_PREMIUM_TRUST_PROXY: 'true' };
    for (const name of ['a', 'b']) {
      const dataDir = join(scratch, name);
      mkdirSync(dataDir);
      instances.push(await startServer({ dialect: 'postgres', dataDir, databaseUrl: database.url, env: shared }));
    }

    port = await freePort();
    const [a, b] = instances.map((i) => new URL(i.url).port);
    const site = readFileSync(SITE_CONFIG, 'utf8')
      .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
      .replace('127.0.0.1:4243', `127.0.0.1:${a}`)
      .replace('127.0.0.1:4244', `127.0.0.1:${b}`)
      .replaceAll('/etc/rotki-premium/tls/', `${join(scratch, 'tls')}/`);
    expect(site).not.toContain(':4243');
    writeFileSync(join(scratch, 'rotki-premium.conf'), site);
    // The test's own nginx: no daemon, every path in the scratch folder, workers as the test's user.
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(scratch, `${t}-temp`)};`).join(' ');
    writeFileSync(
      join(scratch, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        ...(process.getuid?.() === 0 ? ['user root;'] : []),
        `pid ${join(scratch, 'nginx.pid')};`,
        `error_log ${join(scratch, 'error.log')} warn;`,
        'events { worker_connections 256; }',
        `http { access_log ${join(scratch, 'access.log')}; ${temp} include ${join(scratch, 'rotki-premium.conf')}; }`,
        '',
      ].join('\n'),
    );
    nginx = spawn(NGINX, ['-p', scratch, '-e', join(scratch, 'error.log'), '-c', join(scratch, 'nginx.conf')], { stdio: 'ignore' });
    await waitForPort(port, nginx, join(scratch, 'error.log'));

    admin = await openServerContext(instances[0] as ServerHandle);
    who = await admin.createSubscriber('Basic');
    const device = deviceId('through-nginx');
    const outcomes = await runRotkiLikeClient(`https://rotki.com:${port}`, who, device, {
      caBundle: join(scratch, 'tls', 'ca.pem'),
      resolveToLoopback: 'rotki.com',
    });
    conformance = { outcomes, who, device };
  }, 240_000);
  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await admin?.close();
    for (const instance of instances) await instance.stop();
    await s3?.stop();
    await database?.drop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  itServesTheRotkiApp(() => conformance);

  it('spreads the requests over both instances', () => {
    for (const instance of instances) expect(instance.logs()).toMatch(/"url":"\/nest\/1\//);
  });

  it('records the client address that nginx saw, not one the client claims in X-Forwarded-For', async () => {
    const request = prepare(who, ENDPOINTS.registerDevice, registration(deviceId('spoofing'), 'spoofer'));
    request.headers['x-forwarded-for'] = '203.0.113.9';
    expect((await viaProxy(port, ca, request)).status).toBe(201);
    const audit = await (instances[0] as ServerHandle).admin(['admin', 'audit', '--username', who.username]);
    const events = audit.events as { action: string; ip: string | null; detail: Record<string, unknown> }[];
    const added = events.filter((e) => e.action === 'device.registered');
    expect(added.length).toBeGreaterThanOrEqual(2);
    for (const event of added) expect(event.ip).toBe('127.0.0.1');
  });

  it('passes a backup chunk of 10,000,000 bytes with its envelope, and refuses more at the proxy', async () => {
    const chunk = prepare(who, ENDPOINTS.uploadBackupChunk);
    const near = await viaProxy(port, ca, { ...chunk, headers: { ...chunk.headers, 'content-type': 'application/octet-stream' } }, Buffer.alloc(10_400_000));
    expect(near.server).not.toBe('nginx');
    expect(near.status).toBeLessThan(500);
    expect(near.status).not.toBe(413);
    const over = await viaProxy(port, ca, { ...chunk, headers: { ...chunk.headers, 'content-type': 'application/octet-stream' } }, Buffer.alloc(12 * 1024 * 1024));
    expect(over.status).toBe(413);
  });

  it('keeps answering when one instance stops', async () => {
    await (instances[1] as ServerHandle).stop();
    const unlocks = prepare(null, ENDPOINTS.unlocks);
    for (let i = 0; i < 6; i += 1) expect((await viaProxy(port, ca, unlocks)).status).toBe(200);
  });
});
