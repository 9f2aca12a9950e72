import type { IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ChunkedDecoder } from './chunked-decoder.ts';

/**
 * One GET on a connection of its own, read without Node's HTTP client: the
 * socket reads into a few buffers allocated once per request and reused
 * (`onread`), and the body is handed on as views of them. Node's client
 * allocates a fresh buffer for every 64 KiB the socket reads, and in a
 * process with a real heap those buffers set off a major collection every
 * few dozen MiB: on a 256 MiB download that was most of what the client
 * spent beyond writing the file (docs/benchmarks.md, Backup). Used by the
 * backup download; the request has no body and the connection is closed
 * after the answer (`connection: close`).
 */

const BLOCK = 256 * 1024;
/** Read buffers per request: reading stops while all but one wait for their bytes to be written. */
const POOL = 16;
const HEAD_LIMIT = 64 * 1024;
/** An answer other than the file (an error) is read into memory up to this size. */
const SMALL_BODY_LIMIT = 1024 * 1024;

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /**
   * Reads the body in order, handing each block to `sink`: a view of a
   * pooled buffer, read into again once the promise `sink` returns settles.
   * Resolves with the body's size when it is complete and every sink settled.
   */
  stream(sink: (block: Buffer) => Promise<void>): Promise<number>;
  /** The whole body, in memory (an error answer). */
  readAll(): Promise<Buffer>;
  /** Closes the connection; a body still being read fails. */
  close(): void;
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' };

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`invalid character in the ${name} header`);
    lines.push(`${name}: ${value}`);
  }
  lines.push('connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function parseHead(text: string): { status: number; headers: IncomingHttpHeaders } {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (match?.[1] === undefined) throw new Error('the server did not answer with HTTP/1.1');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('malformed header in the answer');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers };
}

function framingOf(status: number, headers: IncomingHttpHeaders): Framing {
  if (/\bchunked\b/i.test(String(headers['transfer-encoding'] ?? ''))) return { kind: 'chunked', decoder: new ChunkedDecoder() };
  if (status === 204 || status === 304) return { kind: 'length', remaining: 0 };
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'close' };
  if (!/^\d{1,15}$/.test(length)) throw new Error('invalid content-length in the answer');
  return { kind: 'length', remaining: Number(length) };
}

/**
 * Sends `GET url` with `headers` and resolves with the answer's head; rejects
 * with the socket's error (the caller words it) when no answer came, or with
 * `signal.reason` when aborted. `timeoutMs` bounds each wait on the socket.
 */
export function rawGet(url: URL, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal | undefined): Promise<RawResponse> {
  let head: string;
  try {
    signal?.throwIfAborted();
    head = requestHead(url, headers);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (secure ? 443 : 80));

  const free: Buffer[] = Array.from({ length: POOL }, () => Buffer.allocUnsafeSlow(BLOCK));
  const holds = new Map<Buffer, number>();
  let headBytes: Buffer | null = Buffer.alloc(0);
  let framing: Framing | null = null;
  let sink: ((block: Buffer) => Promise<void>) | null = null;
  const early: [Buffer, Buffer][] = [];
  let received = 0;
  let bodyDone = false;
  let pending = 0;
  let paused = false;
  let failure: Error | null = null;
  let onHead: ((response: RawResponse) => void) | null = null;
  let onFail: (error: Error) => void = () => undefined;
  let onBody: (() => void) | null = null;

  const release = (buffer: Buffer) => {
    const left = (holds.get(buffer) ?? 0) - 1;
    if (left > 0) {
      holds.set(buffer, left);
      return;
    }
    holds.delete(buffer);
    free.push(buffer);
    if (paused && free.length > 1) {
      paused = false;
      socket.resume();
    }
  };
  const settle = () => {
    if (bodyDone && pending === 0 && onBody !== null) onBody();
  };
  const deliver = (owner: Buffer, block: Buffer) => {
    if (sink === null) {
      early.push([owner, block]);
      return;
    }
    pending += 1;
    sink(block).then(
      () => {
        pending -= 1;
        release(owner);
        settle();
      },
      (error: unknown) => fail(error as Error),
    );
  };
  const body = (owner: Buffer, start: number, end: number) => {
    holds.set(owner, 1);
    const emit = (from: number, to: number) => {
      if (to <= from) return;
      received += to - from;
      holds.set(owner, (holds.get(owner) ?? 0) + 1);
      deliver(owner, owner.subarray(from, to));
    };
    if (framing?.kind === 'length') {
      const take = Math.min(framing.remaining, end - start);
      framing.remaining -= take;
      emit(start, start + take);
      bodyDone = framing.remaining === 0;
    } else if (framing?.kind === 'chunked') {
      bodyDone = framing.decoder.feed(owner, start, end, emit);
    } else {
      emit(start, end);
    }
    release(owner);
    if (bodyDone) settle();
  };
  const fail = (error: Error) => {
    if (failure !== null) return;
    failure = error;
    socket.destroy();
    onFail(error);
  };
  const headRead = (owner: Buffer, nread: number) => {
    headBytes = Buffer.concat([headBytes ?? Buffer.alloc(0), owner.subarray(0, nread)]);
    for (;;) {
      const end = headBytes.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headBytes.length > HEAD_LIMIT) throw new Error('the answer head is too large');
        free.push(owner);
        return;
      }
      const parsed = parseHead(headBytes.toString('latin1', 0, end));
      const rest = headBytes.length - end - 4;
      if (parsed.status >= 100 && parsed.status < 200) {
        headBytes = headBytes.subarray(end + 4);
        continue;
      }
      headBytes = null;
      framing = framingOf(parsed.status, parsed.headers);
      onHead?.(response(parsed.status, parsed.headers));
      body(owner, nread - rest, nread);
      return;
    }
  };

  const response = (status: number, answerHeaders: IncomingHttpHeaders): RawResponse => ({
    status,
    headers: answerHeaders,
    stream(target) {
      return new Promise<number>((resolve, reject) => {
        if (failure !== null) return reject(failure);
        onFail = reject;
        onBody = () => {
          socket.destroy();
          resolve(received);
        };
        sink = target;
        for (const [owner, block] of early.splice(0)) deliver(owner, block);
        settle();
      });
    },
    async readAll() {
      const parts: Buffer[] = [];
      let size = 0;
      await this.stream(async (block) => {
        size += block.length;
        if (size > SMALL_BODY_LIMIT) throw new Error('the answer is too large');
        parts.push(Buffer.from(block));
      });
      return Buffer.concat(parts);
    },
    close() {
      fail(new Error('the connection was closed'));
    },
  });

  const onread = {
    buffer: () => free.pop() ?? Buffer.allocUnsafeSlow(BLOCK),
    // Node hands back the very buffer `buffer()` gave it, `nread` bytes of it filled.
    callback: (nread: number, filled: Uint8Array): boolean => {
      const owner = filled as Buffer;
      try {
        if (headBytes !== null) headRead(owner, nread);
        else body(owner, 0, nread);
      } catch (error) {
        fail(error as Error);
        return false;
      }
      if (free.length > 1) return true;
      paused = true;
      return false;
    },
  };
  const options = { host, port, onread, ...(secure && isIP(host) === 0 ? { servername: host } : {}) };
  const socket: Socket = secure ? tlsConnect(options) : netConnect(options);
  socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT', timedOut: true })));
  const abort = () => fail(signal?.reason as Error);
  signal?.addEventListener('abort', abort, { once: true });
  socket.on('close', () => {
    signal?.removeEventListener('abort', abort);
    if (framing?.kind === 'close' && failure === null) {
      bodyDone = true;
      settle();
    } else if (!bodyDone) {
      fail(new Error(headBytes === null ? `the connection closed after ${received} bytes of the answer` : 'the connection closed before an answer'));
    }
  });
  socket.on('error', (error) => fail(error));
  socket.write(head);
  return new Promise((resolve, reject) => {
    onHead = resolve;
    onFail = reject;
  });
}
