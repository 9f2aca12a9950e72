import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeviceList, messages, UserLimits } from '@rotki-premium/protocol';
import { expect, it } from 'vitest';
import type { Subscriber } from '../../../../test-support/server-process.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const CLIENT = join(FIXTURES, 'rotki_app_client.py');
const RESOLVING_CLIENT = join(FIXTURES, 'resolve_then_run.py');

export interface Outcome {
  call: string;
  status: number;
  body: unknown;
}

export interface ClientOptions {
  /** Trusted through REQUESTS_CA_BUNDLE, as an unmodified app is pointed at another server (PROTOCOL.md §1). */
  caBundle?: string;
  /** A host name that resolves to 127.0.0.1 inside the Python process only (no system file changed). */
  resolveToLoopback?: string;
}

const run = promisify(execFile);

/** Runs the Python client, which signs and sends exactly as the rotki app does; its calls by name. */
export async function runRotkiLikeClient(url: string, who: Subscriber, device: string, options: ClientOptions = {}): Promise<Map<string, Outcome>> {
  const args = [who.apiKey, who.apiSecret, device];
  const argv = options.resolveToLoopback === undefined ? [CLIENT, url, ...args] : [RESOLVING_CLIENT, options.resolveToLoopback, CLIENT, url, ...args];
  const { stdout } = await run('python3', argv, {
    // requests honours proxy variables; the server is local.
    env: {
      ...process.env,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      ...(options.caBundle === undefined ? {} : { REQUESTS_CA_BUNDLE: options.caBundle }),
    },
    timeout: 60_000,
  });
  const { results } = JSON.parse(stdout) as { results: Outcome[] };
  return new Map(results.map((r) => [r.call, r]));
}

export interface ConformanceRun {
  outcomes: Map<string, Outcome>;
  who: Subscriber;
  device: string;
}

/**
 * What the rotki app relies on, asserted on one run of the Python client (a
 * subscriber with an active Basic subscription, no backup and no device yet).
 * Call inside a `describe` whose `beforeAll` makes the run.
 */
export function itServesTheRotkiApp(current: () => ConformanceRun): void {
  const outcome = (name: string): Outcome => {
    const found = current().outcomes.get(name);
    if (found === undefined) throw new Error(`the client made no call named ${name}`);
    return found;
  };

  it('reads the unlocks without credentials and the empty backup metadata from a GET form body', () => {
    expect(outcome('unlocks')).toMatchObject({ status: 200, body: { unlocks: { graphs_view: 'Basic', mcp: 'Advanced' } } });
    expect(outcome('last_data_metadata')).toEqual({
      call: 'last_data_metadata',
      status: 200,
      body: { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 },
    });
  });

  it('authenticates its device as the app does: check 404, register 201, again 409, check 200', () => {
    expect([outcome('check_unknown').status, outcome('register').status, outcome('register_again').status, outcome('check_known').status]).toEqual([
      404, 201, 409, 200,
    ]);
    expect(outcome('register').body).toEqual({ registered: true });
  });

  it('renames with a non-ASCII name and lists the device with the fields the app needs', () => {
    expect(outcome('rename').status).toBe(200);
    const list = outcome('list');
    expect(list.status).toBe(200);
    const { devices, limit } = DeviceList.parse(list.body);
    expect(limit).toBe(2);
    const { device, who } = current();
    expect(devices).toEqual([
      expect.objectContaining({ device_identifier: device, device_name: 'Büro laptop é ☕ (rotki)', platform: 'Linux', user: who.username }),
    ]);
  });

  it('gets its limits from a params= query', () => {
    const limits = outcome('limits');
    expect(limits.status).toBe(200);
    expect(UserLimits.parse(limits.body)).toMatchObject({ current_tier: 'Basic', limit_of_devices: 2, max_backup_size_mb: 150 });
  });

  it('gets the closed-part answers: no premium components, an empty watcher list, no watcher changes', () => {
    expect(outcome('statistics_rendererv2')).toMatchObject({ status: 400, body: { error: messages.premiumComponentsUnavailable() } });
    expect(outcome('watchers_get')).toMatchObject({ status: 200, body: [] });
    expect(outcome('watchers_put')).toMatchObject({ status: 400, body: { error: messages.watchersUnsupported() } });
  });

  it('deletes its device with a JSON body on DELETE', () => {
    expect(outcome('delete').status).toBe(200);
    expect(outcome('check_after_delete').status).toBe(404);
  });

  it('is refused with the codes the app understands when the secret is wrong', () => {
    expect(outcome('check_wrong_secret')).toMatchObject({ status: 403, body: { error: messages.signatureMismatch() } });
    expect(outcome('metadata_wrong_secret')).toMatchObject({ status: 401, body: { error: messages.signatureMismatch() } });
  });
}
