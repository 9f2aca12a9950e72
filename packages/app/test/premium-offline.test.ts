import { generateApiCredentials } from '@rotki-premium/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig, DEFAULT_PORT, DEFAULT_SERVER_URL } from '../src/config.ts';
import { createUser } from '../src/local/user-store.ts';
import { FREE_LIMITS, reshapeCapabilities } from '../src/premium/capabilities.ts';
import { PremiumSession } from '../src/premium/premium-session.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('config', () => {
  it('defaults to port 4242, the local server and loopback', () => {
    const config = buildConfig({ data: '/tmp/x' }, {});
    expect(config).toMatchObject({ host: '127.0.0.1', port: DEFAULT_PORT, serverUrl: DEFAULT_SERVER_URL, siteUrl: DEFAULT_SERVER_URL });
    expect(buildConfig({}, { ROTKI_PREMIUM_APP_DATA: '/tmp/y' }).dataDir).toBe('/tmp/y');
    expect(buildConfig({ server: 'https://premium.example.org/' }, {}).serverUrl).toBe('https://premium.example.org');
    expect(() => buildConfig({ server: 'ftp://x' }, {})).toThrow(/http/);
    expect(() => buildConfig({ port: '70000' }, {})).toThrow(/port/);
  });
});

describe('capabilities', () => {
  it('gives the Free limits with every flag off and the unlock hints', () => {
    const view = reshapeCapabilities(null, { graphs_view: 'Basic' });
    expect(view).toMatchObject(FREE_LIMITS);
    expect(view.graphs_view).toEqual({ enabled: false, minimum_tier: 'Basic' });
    expect(view.mcp).toEqual({ enabled: false, minimum_tier: null });
  });
});

describe('premium setup without a network', { timeout: 60_000 }, () => {
  it('refuses a malformed pair before any call (the server address leads nowhere)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-app-unit-'));
    dirs.push(dataDir);
    const user = await createUser(dataDir, 'ivy', 'quiet lantern over moss');
    const session = new PremiumSession(user, {
      serverUrl: 'http://127.0.0.1:9',
      siteUrl: 'http://127.0.0.1:9',
      userAgent: 'test',
      deviceName: null,
      now: Date.now,
    });
    const { apiKey, apiSecret } = generateApiCredentials();
    const cases: [string, string, RegExp][] = [
      ['', apiSecret, /^The API key is damaged/],
      [apiKey.slice(0, -2), apiSecret, /^The API key is damaged/],
      [apiKey, '', /^The API secret is damaged/],
      [apiKey, apiSecret.slice(0, 30) + apiSecret.slice(34), /^The API secret is damaged/],
      [apiKey, 'not base64', /^The API secret is damaged/],
      ['rpk_x', 'AAA', /^The API key and the API secret are both damaged/],
      [apiSecret, apiKey, /^The API key and the API secret are swapped/],
    ];
    for (const [key, secret, message] of cases) {
      // Any request would fail with "cannot reach the server" instead: these never leave the app.
      await expect(session.setup(key, secret)).rejects.toMatchObject({ kind: 'invalid_credentials_format', message: expect.stringMatching(message) });
    }
    expect(session.status()).toMatchObject({ premium_active: false, has_credentials: false });
    user.close();
  });
});
