import { connect, type Socket } from 'node:net';

/** An HTTP/1.1 answer read off a raw socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: unknown;
}

/** A request whose body the test sends piece by piece, reading the answer whenever it comes. */
export interface StalledRequest {
  /** Resolves once the head and the first bytes are written. */
  written: Promise<void>;
  /** The server's answer, as soon as it is complete (possibly before the body is). */
  answer: Promise<RawAnswer>;
  /** True once the test has sent the whole declared body. */
  bodyDone(): boolean;
  /** Sends the rest of the body. */
  finish(rest: Buffer): Promise<void>;
  /** Resolves when the connection is closed, by either side. */
  closed: Promise<void>;
  destroy(): void;
}

function parseAnswer(buffer: Buffer): RawAnswer | null {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buffer.length < end + 4 + length) return null;
  const text = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text, json };
}

/**
 * Sends the head of a request announcing `declaredLength` body bytes, then
 * only `first`; the rest comes when the test calls finish() (or never).
 */
export function stalledRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  declaredLength: number,
  first: Buffer,
): StalledRequest {
  const url = new URL(baseUrl);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries({ ...headers, 'content-length': String(declaredLength) }).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  const socket: Socket = connect(Number(url.port), url.hostname);
  let sent = first.length;
  let received = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseAnswer(received);
      if (parsed !== null) resolve(parsed);
    });
    socket.on('close', () => reject(new Error(`connection closed before a complete answer (${received.length} bytes)`)));
  });
  answer.catch(() => undefined);
  const written = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('connect', () => {
      socket.write(head);
      socket.write(first, () => resolve());
    });
  });
  socket.on('error', () => undefined);
  return {
    written,
    answer,
    closed,
    bodyDone: () => sent >= declaredLength,
    finish: (rest) =>
      new Promise<void>((resolve, reject) => {
        socket.write(rest, (error) => {
          if (error === undefined || error === null) {
            sent += rest.length;
            resolve();
          } else reject(error);
        });
      }),
    destroy: () => socket.destroy(),
  };
}
