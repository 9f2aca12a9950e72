import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';

/** A connection that sends `head` one byte at a time, every `everyMs`, until the server closes it. */
function trickle(url: string, head: string, everyMs: number): { socket: Socket; closedByServer: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < head.length && socket.writable) socket.write(head[sent++] ?? '');
  }, everyMs);
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closedByServer = new Promise<string>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    }),
  );
  return { socket, closedByServer };
}

describe('slow and idle clients are cut off (sqlite)', () => {
  let storage: TestStorage;
  let server: ServerHandle;

  beforeAll(async () => {
    storage = await createTestStorage('sqlite');
    server = await startServer({
      dialect: 'sqlite',
      dataDir: storage.dataDir,
      env: {
        ROTKI_PREMIUM_HEADERS_TIMEOUT: '1',
        ROTKI_PREMIUM_REQUEST_TIMEOUT: '2',
        ROTKI_PREMIUM_IDLE_TIMEOUT: '2',
        ROTKI_PREMIUM_KEEP_ALIVE_TIMEOUT: '1',
        ROTKI_PREMIUM_MAX_CONNECTIONS: '4',
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await storage?.cleanup();
  });

  it('closes a connection that trickles its headers, and /health keeps answering', async () => {
    // One byte every 200 ms: never idle, never done.
    const slow = trickle(server.url, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(10_000)}\r\n\r\n`, 200);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    expect(await slow.closedByServer).toMatch(/^$|^HTTP\/1\.1 408/);
  });

  it('closes a request whose body trickles in', async () => {
    const head = 'POST /webapi/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n';
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write(head);
    const timer = setInterval(() => socket.writable && socket.write('{'), 200);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(timer);
    expect(received).toMatch(/^$|^HTTP\/1\.1 408/);
  });

  it('closes connections beyond --max-connections at once, and serves again when they are gone', async () => {
    const held: Socket[] = [];
    const { hostname, port } = new URL(server.url);
    for (let i = 0; i < 4; i += 1) {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      held.push(socket);
    }
    const extra = trickle(server.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n', 10);
    // Refused by the server: closed without an answer while the four others are still open.
    expect(await extra.closedByServer).toBe('');
    expect(held.some((socket) => !socket.destroyed)).toBe(true);
    for (const socket of held) socket.destroy();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = await fetch(`${server.url}/health/live`).then((r) => r.status, () => 0);
    }
    expect(status).toBe(200);
  });
});
