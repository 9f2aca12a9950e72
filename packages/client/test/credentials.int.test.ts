import { createServer, type Server, type Socket } from 'node:net';
import { AuthErrorCode, ENDPOINTS, generateApiCredentials } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import {
  createTestStorage,
  startServer,
  type ServerHandle,
  type Subscriber,
  type TestStorage,
} from '../../../test-support/server-process.ts';
import {
  CredentialsRejectedError,
  InvalidSecretFormatError,
  ServerUnreachableError,
  SubscriptionInactiveError,
} from '../src/errors.ts';
import { PremiumClient, type PremiumClientOptions } from '../src/premium-client.ts';
import { sendSigned } from '../src/transport.ts';
import { countLogs, deviceOf, incoming, logBarrier, refusedFor } from './support.ts';

const TEN_MINUTES = 10 * 60_000;

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('PremiumClient without a reachable server', () => {
  let silent: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('reports a closed port as unreachable, naming the URL', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const { apiKey, apiSecret } = generateApiCredentials();
    const client = new PremiumClient({ baseUrl, apiKey, apiSecret, deviceIdentifier: null });
    for (const call of [() => client.limits(), () => client.metadata(), () => client.unlocks(), () => client.authenticateDevice({ identifier: 'x' })]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(ServerUnreachableError);
      expect((error as ServerUnreachableError).message).toContain(baseUrl);
      expect((error as ServerUnreachableError).message).toContain('connection refused');
    }
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const { apiKey, apiSecret } = generateApiCredentials();
    const client = new PremiumClient({
      baseUrl: `http://127.0.0.1:${address.port}`,
      apiKey,
      apiSecret,
      deviceIdentifier: null,
      timeoutMs: 200,
    });
    const error = await rejection(client.limits());
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect((error as Error).message).toContain('no answer within 0.2 s');
  });
});

for (const dialect of DIALECTS) {
  describe(`PremiumClient against a real server: credentials and clock (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let context: ServerContext;
    let active: Subscriber;
    let regenerated: Subscriber;
    let expiring: Subscriber;

    const clientFor = (subscriber: Subscriber, extra: Partial<PremiumClientOptions> = {}) =>
      new PremiumClient({
        baseUrl: server.url,
        apiKey: subscriber.apiKey,
        apiSecret: subscriber.apiSecret,
        deviceIdentifier: deviceOf(subscriber.username, 'credentials-test-machine'),
        ...extra,
      });

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      context = await openServerContext(server);
      active = await context.createSubscriber('Basic');
      regenerated = await context.createSubscriber('Basic');
      expiring = await context.createSubscriber('Advanced');
      for (const subscriber of [active, regenerated, expiring]) await clientFor(subscriber).authenticateDevice();
    });

    afterAll(async () => {
      await context?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('refuses a malformed secret before sending anything', async () => {
      await logBarrier(server);
      const before = countLogs(server, incoming);
      expect(() => clientFor(active, { apiSecret: active.apiSecret.slice(0, -2) })).toThrow(InvalidSecretFormatError);
      // The URL-safe alphabet ('-', '_') is not standard base64; force one such character in,
      // since a random secret need not contain '+' or '/' to translate.
      const urlSafe = `${active.apiSecret.slice(0, 10)}-${active.apiSecret.slice(11).replace(/\+/g, '-').replace(/\//g, '_')}`;
      expect(() => clientFor(active, { apiSecret: urlSafe })).toThrow(InvalidSecretFormatError);
      const connection = { baseUrl: server.url, apiKey: active.apiKey, apiSecret: 'not base64' };
      expect(await rejection(sendSigned(connection, ENDPOINTS.limits))).toBeInstanceOf(InvalidSecretFormatError);
      await logBarrier(server);
      // Only the second marker request reached the server.
      expect(countLogs(server, incoming)).toBe(before + 1);
    });

    it('reports a wrong secret as rejected credentials', async () => {
      const client = clientFor(active, { apiSecret: generateApiCredentials().apiSecret });
      const onNest = await rejection(client.limits());
      expect(onNest).toBeInstanceOf(CredentialsRejectedError);
      expect(onNest).toMatchObject({ status: 403, code: AuthErrorCode.SignatureMismatch });
      expect((onNest as Error).message).toContain('signature mismatch');
      const onApi = await rejection(client.metadata());
      expect(onApi).toMatchObject({ status: 401, code: AuthErrorCode.SignatureMismatch });
      const onCheck = await rejection(client.checkDevice());
      expect(onCheck).toBeInstanceOf(CredentialsRejectedError);
    });

    it('reports an unknown key as rejected credentials', async () => {
      const error = await rejection(new PremiumClient({ baseUrl: server.url, ...generateApiCredentials(), deviceIdentifier: null }).limits());
      expect(error).toBeInstanceOf(CredentialsRejectedError);
      expect(error).toMatchObject({ code: AuthErrorCode.UnknownApiKey });
    });

    it('stops accepting the old pair once the credentials are regenerated', async () => {
      const old = clientFor(regenerated);
      expect((await old.limits()).current_tier).toBe('Basic');
      const pair = await server.admin(['admin', 'credentials', 'regenerate', '--username', regenerated.username]);
      const error = await rejection(old.authenticateDevice());
      expect(error).toBeInstanceOf(CredentialsRejectedError);
      expect(error).toMatchObject({ code: AuthErrorCode.UnknownApiKey });

      const renewed = clientFor({ ...regenerated, apiKey: String(pair.api_key), apiSecret: String(pair.api_secret) });
      // The device stays registered across a new key pair.
      expect(await renewed.authenticateDevice()).toEqual({ identifier: renewed.deviceIdentifier, newlyRegistered: false });
    });

    it('reports an expired subscription with its end date', async () => {
      const client = clientFor(expiring);
      expect((await client.limits()).current_tier).toBe('Advanced');
      await server.admin(['admin', 'subscription', 'expire', '--username', expiring.username]);

      const onApi = await rejection(client.metadata());
      expect(onApi).toBeInstanceOf(SubscriptionInactiveError);
      const inactive = onApi as SubscriptionInactiveError;
      expect(inactive).toMatchObject({ status: 401, code: AuthErrorCode.SubscriptionInactive });
      expect(inactive.endedOn).toBeInstanceOf(Date);
      expect(inactive.message).toContain(inactive.endedOn?.toISOString().slice(0, 10));

      const onCheck = await rejection(client.authenticateDevice());
      expect(onCheck).toBeInstanceOf(SubscriptionInactiveError);
      expect(onCheck).toMatchObject({ status: 403 });
    });

    for (const [label, skew] of [
      ['ten minutes fast', TEN_MINUTES],
      ['ten minutes slow', -TEN_MINUTES],
    ] as const) {
      it(`corrects a local clock that is ${label} with one retry`, async () => {
        const client = clientFor(active, { clock: () => Date.now() + skew });
        const refusals = refusedFor(AuthErrorCode.NonceOutsideWindow);
        await logBarrier(server);
        const refusedBefore = countLogs(server, refusals);
        const incomingBefore = countLogs(server, incoming);

        expect((await client.limits()).current_tier).toBe('Basic');
        await logBarrier(server);
        // Two attempts (the first refused for its nonce), then the marker request.
        expect(countLogs(server, incoming)).toBe(incomingBefore + 3);
        expect(countLogs(server, refusals)).toBe(refusedBefore + 1);
        // The measured offset cancels the skew (to within the request's own latency).
        expect(Math.abs(client.clockOffsetMs + skew)).toBeLessThan(60_000);

        // The correction is kept: the next requests go through at the first attempt.
        expect(await client.metadata()).toMatchObject({ data_size: 0 });
        expect(await client.checkDevice()).toBe(true);
        await logBarrier(server);
        expect(countLogs(server, incoming)).toBe(incomingBefore + 6);
        expect(countLogs(server, refusals)).toBe(refusedBefore + 1);
      });
    }
  });
}
