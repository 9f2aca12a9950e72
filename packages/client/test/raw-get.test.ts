import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawGet, type RawResponse } from '../src/raw-get.ts';

/** A server that answers each connection with `answer`, after reading the request head. */
let server: Server | null = null;
const requests: string[] = [];

async function serve(answer: (socket: Socket) => Promise<void> | void): Promise<URL> {
  server = createServer((socket) => {
    let head = '';
    const onData = (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      void Promise.resolve(answer(socket)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return new URL(`http://127.0.0.1:${address.port}/nest/1/backup?nonce=1`);
}

/** Writes `parts` one by one, each in its own socket write, then ends (or not). */
async function send(socket: Socket, parts: (string | Buffer)[], end = true): Promise<void> {
  for (const part of parts) {
    socket.write(part);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  if (end) socket.end();
}

async function body(response: RawResponse, slow = false): Promise<{ bytes: Buffer; size: number }> {
  const parts: Buffer[] = [];
  const size = await response.stream(async (block) => {
    // A copy: the block's buffer is read into again once this settles.
    parts.push(Buffer.from(block));
    if (slow) await new Promise((resolve) => setTimeout(resolve, 1));
  });
  return { bytes: Buffer.concat(parts), size };
}

afterEach(async () => {
  requests.length = 0;
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

describe('rawGet: one GET read into reused buffers (the backup download)', () => {
  it('sends the path, the host, the given headers and connection: close; reads a body split anywhere, its head too', async () => {
    const url = await serve((socket) => send(socket, ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 11\r\nX-Two: a\r\nx-two: b\r\n\r\nhel', 'lo world']));
    const response = await rawGet(url, { 'api-key': 'KEY', 'user-agent': 'test' }, 5000, undefined);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-length': '11', 'x-two': 'a, b' });
    expect(await body(response)).toEqual({ bytes: Buffer.from('hello world'), size: 11 });
    expect(requests[0]).toBe(`GET /nest/1/backup?nonce=1 HTTP/1.1\r\nhost: ${url.host}\r\napi-key: KEY\r\nuser-agent: test\r\nconnection: close\r\n\r\n`);
  });

  it('decodes a chunked body (extensions, a trailer, split at every byte) and skips a 100 Continue', async () => {
    const answer = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n5\r\ndefgh\r\n0\r\nTrailer: x\r\n\r\n';
    const url = await serve((socket) => send(socket, [...answer], false));
    const response = await rawGet(url, {}, 5000, undefined);
    expect(await body(response)).toEqual({ bytes: Buffer.from('abcdefgh'), size: 8 });
  });

  it('reads a body without a length to the end of the connection', async () => {
    const url = await serve((socket) => send(socket, ['HTTP/1.1 200 OK\r\n\r\nuntil ', 'the end']));
    expect(await body(await rawGet(url, {}, 5000, undefined))).toEqual({ bytes: Buffer.from('until the end'), size: 13 });
  });

  it('reads an error answer whole, its headers in lower case', async () => {
    const json = '{"error":"nonce","code":"nonce_outside_window"}';
    const url = await serve((socket) => send(socket, [`HTTP/1.1 401 Unauthorized\r\nX-Server-Time: 1700000000\r\nContent-Length: ${json.length}\r\n\r\n${json}`]));
    const response = await rawGet(url, {}, 5000, undefined);
    expect(response.status).toBe(401);
    expect(response.headers['x-server-time']).toBe('1700000000');
    expect((await response.readAll()).toString()).toBe(json);
  });

  it('streams a body larger than its buffers to a slow reader, every byte in order', async () => {
    const data = randomBytes(9 * 1024 * 1024 + 7);
    const url = await serve((socket) => send(socket, [`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`, data]));
    const { bytes, size } = await body(await rawGet(url, {}, 5000, undefined), true);
    expect(size).toBe(data.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('fails a body cut short, a connection refused, a header with a line break, and an aborted request', async () => {
    const url = await serve((socket) => send(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b']));
    await expect(body(await rawGet(url, {}, 5000, undefined))).rejects.toThrow(/closed after 10 bytes/);
    await expect(rawGet(url, { 'user-agent': 'a\r\nb: c' }, 5000, undefined)).rejects.toThrow(TypeError);
    const aborted = new AbortController();
    const pending = rawGet(url, {}, 5000, aborted.signal);
    aborted.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = null;
    await expect(rawGet(url, {}, 5000, undefined)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
