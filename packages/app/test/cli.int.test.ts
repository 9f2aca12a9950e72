import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { startAppProcess } from '../../../e2e/support/app-process.ts';
import { runAppCli } from './cli-support.ts';

const PASSWORD = 'cli password at dusk';

let server: ServerHandle;
let context: ServerContext;
let subscriber: Subscriber;
let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startServer({ dialect: 'sqlite' });
  context = await openServerContext(server);
  subscriber = await context.createSubscriber('Basic');
  dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-app-cli-'));
  env = { ROTKI_PREMIUM_APP_DATA: dataDir, ROTKI_PREMIUM_SERVER_URL: server.url, ROTKI_PREMIUM_MACHINE_ID: 'cli-test-machine' };
  const created = await runAppCli(['user', 'create', '--user', 'ana'], env, `${PASSWORD}\n`);
  expect(created.code, created.stderr).toBe(0);
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('rotki-premium-app CLI', () => {
  it('prints help and refuses unknown commands', async () => {
    const help = await runAppCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/premium/);
    const unknown = await runAppCli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
  });

  it('user create refuses an existing user and a missing password', async () => {
    const again = await runAppCli(['user', 'create', '--user', 'ana'], env, `${PASSWORD}\n`);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe('error: User ana already exists');
    const noPassword = await runAppCli(['user', 'create', '--user', 'ben'], env, '');
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/No password/);
  });

  it('premium setup takes the secret from standard input or the environment, never argv', async () => {
    const missing = await runAppCli(['premium', 'setup', '--user', 'ana', '--key', subscriber.apiKey], env, `${PASSWORD}\n`);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^error: No API secret/);

    const malformed = await runAppCli(['premium', 'setup', '--user', 'ana', '--key', subscriber.apiKey], {
      ...env,
      ROTKI_PREMIUM_APP_PASSWORD: PASSWORD,
      ROTKI_PREMIUM_API_SECRET: 'not-base64!',
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.trim()).toBe(
      'error: The API secret is damaged: characters are missing or changed. Copy it again, completely, from your subscription page.',
    );

    const wrongPassword = await runAppCli(['premium', 'setup', '--user', 'ana', '--key', subscriber.apiKey], env, `nope\n${subscriber.apiSecret}\n`);
    expect(wrongPassword.code).toBe(2);
    expect(wrongPassword.stderr.trim()).toBe('error: Wrong password for this user');

    const unknownUser = await runAppCli(['premium', 'status', '--user', 'zed'], env, `${PASSWORD}\n`);
    expect(unknownUser.code).toBe(2);

    const rejected = await runAppCli(
      ['premium', 'setup', '--user', 'ana', '--key', subscriber.apiKey],
      env,
      `${PASSWORD}\n${Buffer.alloc(57, 7).toString('base64')}\n`,
    );
    expect(rejected.code).toBe(3);
    expect(rejected.stderr).toMatch(/^error: rotki API key was rejected by server: /);
    expect(rejected.stderr.trim().split('\n')).toHaveLength(1);

    const ok = await runAppCli(['premium', 'setup', '--user', 'ana', '--key', ` ${subscriber.apiKey} `], env, `${PASSWORD}\n${subscriber.apiSecret}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^rotki Premium is active \(Basic plan\)/);
    expect(ok.stdout + ok.stderr).not.toContain(subscriber.apiSecret);
  });

  it('premium status, devices list, rename and remove', async () => {
    const status = await runAppCli(['--json', 'premium', 'status', '--user', 'ana'], { ...env, ROTKI_PREMIUM_APP_PASSWORD: PASSWORD });
    expect(status.code, status.stderr).toBe(0);
    const parsed = lastJson(status.stdout);
    expect(parsed).toMatchObject({ premium_active: true, plan: 'Basic' });
    const own = String(parsed.current_device_id);

    const list = await runAppCli(['devices', 'list', '--user', 'ana'], env, `${PASSWORD}\n`);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^1 of 2 devices/);
    expect(list.stdout).toContain(`* ${own}`);

    const renamed = await runAppCli(['devices', 'rename', '--user', 'ana', '--device', own, '--name', 'CI box'], env, `${PASSWORD}\n`);
    expect(renamed.code).toBe(0);
    const badName = await runAppCli(['devices', 'rename', '--user', 'ana', '--device', own, '--name', ' '], env, `${PASSWORD}\n`);
    expect(badName.code).toBe(2);

    const self = await runAppCli(['devices', 'remove', '--user', 'ana', '--device', own], env, `${PASSWORD}\n`);
    expect(self.code).toBe(2);
    expect(self.stderr.trim()).toBe('error: Cannot delete the current device');

    // A second local user on this machine is a second device; remove it from the first.
    await runAppCli(['user', 'create', '--user', 'bea'], env, `${PASSWORD}\n`);
    const second = await runAppCli(['--json', 'premium', 'setup', '--user', 'bea', '--key', subscriber.apiKey], env, `${PASSWORD}\n${subscriber.apiSecret}\n`);
    expect(second.code, second.stderr).toBe(0);
    const secondId = String(lastJson(second.stdout).current_device_id);
    const removed = await runAppCli(['devices', 'remove', '--user', 'ana', '--device', secondId], env, `${PASSWORD}\n`);
    expect(removed.code, removed.stderr).toBe(0);
    const after = await runAppCli(['premium', 'status', '--user', 'bea'], env, `${PASSWORD}\n`);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^rotki Premium is not active\nThis device was removed/);
  });

  it('premium remove forgets the pair; sync then says premium is off', async () => {
    await runAppCli(['user', 'create', '--user', 'cid'], env, `${PASSWORD}\n`);
    expect((await runAppCli(['premium', 'setup', '--user', 'cid', '--key', subscriber.apiKey], env, `${PASSWORD}\n${subscriber.apiSecret}\n`)).code).toBe(0);
    const removed = await runAppCli(['premium', 'remove', '--user', 'cid'], env, `${PASSWORD}\n`);
    expect(removed.code).toBe(0);
    const status = await runAppCli(['premium', 'status', '--user', 'cid'], env, `${PASSWORD}\n`);
    expect(status.stdout).toMatch(/No API credentials are set up/);
    const upload = await runAppCli(['sync', 'upload', '--user', 'cid'], env, `${PASSWORD}\n`);
    expect(upload.code).not.toBe(0);
    expect(upload.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sync upload and download show progress and a result line', async () => {
    const own = await context.createSubscriber('Basic');
    await runAppCli(['user', 'create', '--user', 'eve'], env, `${PASSWORD}\n`);
    const setup = await runAppCli(['premium', 'setup', '--user', 'eve', '--key', own.apiKey], env, `${PASSWORD}\n${own.apiSecret}\n`);
    expect(setup.code, setup.stderr).toBe(0);
    const upload = await runAppCli(['sync', 'upload', '--user', 'eve'], env, `${PASSWORD}\n`);
    expect(upload.code, upload.stderr).toBe(0);
    expect(upload.stderr).toContain('uploading chunk 1 of 1');
    expect(upload.stdout.trim()).toMatch(/^Backup uploaded: [\d.,]+ (bytes|KiB|MiB) in 1 chunk\.$/);
    const download = await runAppCli(['sync', 'download', '--user', 'eve'], env, `${PASSWORD}\n`);
    expect(download.code, download.stderr).toBe(0);
    expect(download.stderr).toContain('downloading');
    expect(download.stdout.trim()).toMatch(/^Downloaded the backup from the rotki server/);
    const wrong = await runAppCli(['sync', 'download', '--user', 'eve'], { ...env, ROTKI_PREMIUM_APP_PASSWORD: 'wrong' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe('error: Wrong password for this user');
    const unknown = await runAppCli(['sync', 'sideways', '--user', 'eve'], env, `${PASSWORD}\n`);
    expect(unknown.code).toBe(2);
  });

  it('refuses to work on a user that a running app has logged in', async () => {
    await runAppCli(['user', 'create', '--user', 'fin'], env, `${PASSWORD}\n`);
    const running = await startAppProcess({ serverUrl: server.url, machineId: 'cli-test-machine', dataDir });
    try {
      expect((await running.api('POST', '/api/1/users/fin', { password: PASSWORD })).status).toBe(200);
      const busy = await runAppCli(['premium', 'status', '--user', 'fin'], env, `${PASSWORD}\n`);
      expect(busy.code).toBe(1);
      expect(busy.stderr.trim()).toMatch(/^error: User fin is logged in by another running app \(process \d+\)\. Log out there first\.$/);
      await running.api('PATCH', '/api/1/users/fin', { action: 'logout' });
      expect((await runAppCli(['premium', 'status', '--user', 'fin'], env, `${PASSWORD}\n`)).code).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('exits 4 when the server cannot be reached', async () => {
    await runAppCli(['user', 'create', '--user', 'dan'], env, `${PASSWORD}\n`);
    const result = await runAppCli(
      ['premium', 'setup', '--user', 'dan', '--key', subscriber.apiKey, '--server', 'http://127.0.0.1:9'],
      env,
      `${PASSWORD}\n${subscriber.apiSecret}\n`,
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^error: Could not reach the rotki server/);
  });
});
