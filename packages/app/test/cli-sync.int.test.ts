import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { startServer, type ServerHandle, type Subscriber } from '../../../test-support/server-process.ts';
import { runAppCli } from './cli-support.ts';

/**
 * `rotki-premium-app sync status|history|push|pull` (issue 9): two machines
 * (two data folders, two machine ids) of one account against a real server.
 */
const PASSWORD = 'cli password at dusk';

let server: ServerHandle;
let context: ServerContext;
let subscriber: Subscriber;
const dirs: string[] = [];

function machine(name: string): NodeJS.ProcessEnv {
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-app-cli-sync-'));
  dirs.push(dataDir);
  return {
    ROTKI_PREMIUM_APP_DATA: dataDir,
    ROTKI_PREMIUM_SERVER_URL: server.url,
    ROTKI_PREMIUM_MACHINE_ID: `cli-sync-${name}`,
    ROTKI_PREMIUM_DEVICE_NAME: name,
    ROTKI_PREMIUM_APP_PASSWORD: PASSWORD,
    ROTKI_PREMIUM_API_SECRET: subscriber.apiSecret,
  };
}

async function setUp(env: NodeJS.ProcessEnv): Promise<void> {
  expect((await runAppCli(['user', 'create', '--user', 'ana'], env)).code).toBe(0);
  const setup = await runAppCli(['premium', 'setup', '--user', 'ana', '--key', subscriber.apiKey], env);
  expect(setup.code, setup.stderr).toBe(0);
}

beforeAll(async () => {
  server = await startServer({ dialect: 'sqlite' });
  context = await openServerContext(server);
  subscriber = await context.createSubscriber('Basic');
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('rotki-premium-app sync', { timeout: 240_000 }, () => {
  it('status, history, push refused then forced with --yes, and pull', async () => {
    const laptop = machine('Laptop');
    const server2 = machine('Server');
    await setUp(laptop);
    await setUp(server2);

    const empty = await runAppCli(['sync', 'status', '--user', 'ana'], server2);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('Last sync: never');
    expect(empty.stdout).toContain('Server backup: none');

    expect((await runAppCli(['sync', 'push', '--user', 'ana'], laptop)).code).toBe(0);
    const offered = await runAppCli(['sync', 'status', '--user', 'ana'], server2);
    expect(offered.stdout).toMatch(/Server backup: Laptop \(Linux\), uploaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(/);
    expect(offered.stdout).toContain('`sync pull` restores the server backup here');

    // A second machine that never synced: its push is refused, naming the laptop; --force needs --yes.
    const refused = await runAppCli(['sync', 'push', '--user', 'ana'], server2);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^error: Not uploaded: the rotki server holds a backup this device has not synced, from Laptop \(Linux\)/m);
    expect(refused.stderr.trim().split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
    const unconfirmed = await runAppCli(['sync', 'push', '--user', 'ana', '--force'], server2);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/Add --yes to confirm\.$/m);
    const forced = await runAppCli(['sync', 'push', '--user', 'ana', '--force', '--yes'], server2);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^Backup uploaded, replacing the one on the server: /);

    const history = await runAppCli(['sync', 'history', '--user', 'ana'], laptop);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toBe('2 versions (your plan keeps 3; * current)');
    expect(lines[1]).toMatch(/^\* Server \(Linux\), uploaded /);
    expect(lines[2]).toMatch(/^ {2}Laptop \(Linux\), uploaded /);
    const json = await runAppCli(['--json', 'sync', 'history', '--user', 'ana'], laptop);
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ versions_kept: 3, versions: [{ current: true }, { current: false }] });

    const stale = await runAppCli(['--json', 'sync', 'status', '--user', 'ana'], laptop);
    expect(JSON.parse(stale.stdout.trim())).toMatchObject({ stale: true, last_sync_action: 'upload', remote: { uploaded_by: 'Server (Linux)' } });
    const pulled = await runAppCli(['sync', 'pull', '--user', 'ana'], laptop);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/^Downloaded the backup from the rotki server/);
    // It says where the replaced data is kept, and the file is there.
    const kept = /The previous local database was kept as (.+)\.$/m.exec(pulled.stdout)?.[1];
    expect(kept, pulled.stdout).toMatch(/[/\\]ana[/\\]backups[/\\]user_db_\d{8}T\d{6}Z\.backup$/);
    expect(existsSync(kept as string)).toBe(true);

    // Nothing changed since: a plain push says so and leaves the server as it is.
    const again = await runAppCli(['sync', 'push', '--user', 'ana'], laptop);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Nothing to upload: the backup on the rotki server is this device's data/);
  });
});
