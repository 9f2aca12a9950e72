import { isWellFormedApiKey, isWellFormedApiSecret, messages } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import {
  createTestStorage,
  runCli,
  startServer,
  type CliResult,
  type ServerHandle,
  type TestStorage,
} from '../../../test-support/server-process.ts';
import { expectError } from './support/assertions.ts';
import { call, ENDPOINTS, type Credentials } from './support/rotki-app.ts';

/** `--json`: the last stdout line is one JSON object. */
function expectJsonOutput(result: CliResult): Record<string, unknown> {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(last) as unknown;
  expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
  return parsed as Record<string, unknown>;
}

/** A usage error: one line on stderr, nothing on stdout, exit code 2. */
function expectUsageError(result: CliResult, message: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
    code: 2,
    stdout: '',
    stderr: `error: ${message}\n`,
  });
}

for (const dialect of DIALECTS) {
  describe(`admin CLI while the server runs (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    const username = `cli${dialect}${Date.now() % 100_000}`;
    const cli = (...args: string[]) => runCli(args, server.env);

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
    });
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
    });

    it('migrate reports an up-to-date schema', async () => {
      expect(expectJsonOutput(await cli('migrate', '--json'))).toMatchObject({ dialect, up_to_date: true });
    });

    it('tiers list gives every tier with its limits', async () => {
      const { tiers } = expectJsonOutput(await cli('admin', 'tiers', 'list', '--json')) as { tiers: Record<string, unknown>[] };
      expect(tiers.map((t) => t.name)).toEqual(['Supporter', 'Basic', 'Advanced']);
      expect(tiers[1]).toMatchObject({ device_limit: 2, max_backup_size_mb: 150, eth_staked_limit: 128 });
    });

    it('creates an account, refuses credentials without a subscription, then grants one', async () => {
      const account = expectJsonOutput(
        await cli('admin', 'account', 'create', '--username', username, '--email', `${username}@Example.com`, '--password', 'correct horse battery', '--json'),
      );
      expect(account).toMatchObject({ username, email: `${username}@example.com` });

      expectUsageError(
        await cli('admin', 'credentials', 'create', '--username', username, '--json'),
        'No active subscription: API credentials need an active subscription',
      );

      const granted = expectJsonOutput(await cli('admin', 'subscription', 'grant', '--username', username, '--tier', 'basic', '--months', '1', '--json'));
      expect(granted).toMatchObject({ username, tier: 'Basic', status: 'active', active: true });
      expect(Date.parse(String(granted.period_end))).toBeGreaterThan(Date.now());
    });

    it('refuses an unknown user and an unknown tier with exit code 2 and one line', async () => {
      expectUsageError(
        await cli('admin', 'subscription', 'grant', '--username', 'nobody-here', '--tier', 'Basic', '--months', '1'),
        'No account with username "nobody-here"',
      );
      expectUsageError(
        await cli('admin', 'subscription', 'grant', '--username', username, '--tier', 'Gold', '--months', '1', '--json'),
        'No tier named "Gold". Tiers: Supporter, Basic, Advanced',
      );
    });

    let pair: Credentials;

    it('credentials create gives the pair as JSON, and the pair works against the running server', async () => {
      const created = expectJsonOutput(await cli('admin', 'credentials', 'create', '--username', username, '--json'));
      expect(Object.keys(created).sort()).toEqual(['api_key', 'api_secret', 'created_at']);
      pair = { apiKey: String(created.api_key), apiSecret: String(created.api_secret) };
      expect(isWellFormedApiKey(pair.apiKey)).toBe(true);
      expect(isWellFormedApiSecret(pair.apiSecret)).toBe(true);
      expect(Math.abs(Date.parse(String(created.created_at)) - Date.now())).toBeLessThan(60_000);
      expect((await call(server.url, pair, ENDPOINTS.limits)).status).toBe(200);
    });

    it('credentials create a second time tells the operator to regenerate', async () => {
      const again = await cli('admin', 'credentials', 'create', '--username', username, '--json');
      expect(again.code).not.toBe(0);
      expect(again.stdout).toBe('');
      expect(again.stderr).toBe('error: API credentials already exist for this account; use Regenerate to replace them\n');
      expect((await call(server.url, pair, ENDPOINTS.limits)).status).toBe(200);
    });

    it('credentials regenerate replaces the pair at once', async () => {
      const regenerated = expectJsonOutput(await cli('admin', 'credentials', 'regenerate', '--username', username, '--json'));
      expect(Object.keys(regenerated).sort()).toEqual(['api_key', 'api_secret', 'created_at']);
      const fresh = { apiKey: String(regenerated.api_key), apiSecret: String(regenerated.api_secret) };
      expect(fresh.apiKey).not.toBe(pair.apiKey);
      expectError(await call(server.url, pair, ENDPOINTS.limits), 403, messages.unknownApiKey());
      pair = fresh;
      expect((await call(server.url, pair, ENDPOINTS.limits)).status).toBe(200);
    });

    it('subscription cancel keeps premium active until the period end', async () => {
      const cancelled = expectJsonOutput(await cli('admin', 'subscription', 'cancel', '--username', username, '--json'));
      expect(cancelled).toMatchObject({ status: 'cancelled', active: true });
      expect(Date.parse(String(cancelled.period_end))).toBeGreaterThan(Date.now());
      expect((await call(server.url, pair, ENDPOINTS.lastDataMetadata)).status).toBe(200);
    });

    it('subscription expire ends premium now', async () => {
      const expired = expectJsonOutput(await cli('admin', 'subscription', 'expire', '--username', username, '--json'));
      expect(expired).toMatchObject({ status: 'expired', active: false });
      expect(Date.parse(String(expired.period_end))).toBeLessThanOrEqual(Date.now());
      const refused = await call(server.url, pair, ENDPOINTS.lastDataMetadata);
      expectError(refused, 401, messages.subscriptionInactive(new Date(String(expired.period_end))));
    });

    it('audit lists the account’s events newest first, without secrets', async () => {
      const result = await cli('admin', 'audit', '--username', username, '--json');
      const audit = expectJsonOutput(result);
      const events = audit.events as { action: string; detail: Record<string, unknown> }[];
      expect(events.map((e) => e.action)).toEqual([
        'subscription.expired',
        'subscription.cancelled',
        'credentials.regenerated',
        'credentials.created',
        'subscription.granted',
        'account.created',
      ]);
      expect(events[2]?.detail).toMatchObject({ via: 'cli' });
      expect(result.stdout).not.toContain(pair.apiSecret);

      const human = await cli('admin', 'audit', '--username', username, '--limit', '2');
      expect(human.code).toBe(0);
      expect(human.stdout.trim().split('\n')).toHaveLength(2);
      expect(human.stdout).toContain('subscription.expired');
    });

    if (dialect === DIALECTS[0]) {
      it('refuses a missing option or a bad number with exit code 2 and one line', async () => {
        expectUsageError(await cli('admin', 'credentials', 'create', '--json'), "required option '--username <name>' not specified");
        expectUsageError(
          await cli('admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', 'two'),
          '--months must be a whole number ≥ 1, got "two"',
        );
        expectUsageError(await cli('admin', 'audit', '--username', username, '--limit', '0'), '--limit must be a whole number ≥ 1, got "0"');
      });

      it('warns at start when the password hash cost is below the production minimum, and only then', async () => {
        // Test servers hash at a low cost (test-support); this one starts at the default.
        expect(server.logs()).toContain('password hash cost is below the production minimum');
        const production = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ROTKI_PREMIUM_PASSWORD_HASH_COST: '' } });
        try {
          expect(production.logs()).not.toContain('password hash cost');
        } finally {
          await production.stop();
        }
        // A bad value is a configuration error, as for the other start options.
        const refused = await cli('start', '--port', '0', '--password-hash-cost', '9');
        expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 1, stderr: 'error: password hash cost must be a whole number ≥ 10, got "9"\n' });
      });
    }
  });
}
