import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { ClientRequest } from 'node:http';

/**
 * Reading the file to upload: into a few buffers allocated once per upload
 * and reused, instead of a fresh 1 MiB buffer per read (each a page-faulted
 * allocation, and together they set off V8's collections of external memory
 * every few dozen MiB).
 */

const BLOCK = 1024 * 1024;
/** Blocks in flight per request: one being read while others are on their way to the socket. */
const POOL_BLOCKS = 4;

/** Buffers one upload reads its file into; a request that failed may still hold one, so a retry takes a new pool. */
export function blockPool(): Buffer[] {
  return Array.from({ length: POOL_BLOCKS }, () => Buffer.allocUnsafeSlow(BLOCK));
}

/** A request body: `send` writes it and resolves when the last byte is handed to the socket. */
export interface RequestBody {
  length: number;
  send(outgoing: ClientRequest): Promise<void>;
}

/** Resolves when `chunk` has left for the socket (its buffer may be reused), rejects when the request closes first. */
function write(outgoing: ClientRequest, chunk: Buffer, closed: Promise<never>): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    outgoing.write(chunk, (error) => (error === null || error === undefined ? resolve() : reject(error)));
  });
  const written = Promise.race([done, closed]);
  // Awaited in turn by the sender; one that fails while the sender waits on another must not go unhandled.
  written.catch(() => undefined);
  return written;
}

/** A promise that rejects when `outgoing` closes (its rejection is handled until someone awaits it). */
function closing(outgoing: ClientRequest): Promise<never> {
  const closed = once(outgoing, 'close').then(() => Promise.reject(new Error('the request was closed before its body was sent')));
  closed.catch(() => undefined);
  return closed;
}

/**
 * `head`, `data` (bytes already in memory), then `tail`: `data` is written in
 * 1 MiB views of it (no copy), at most `POOL_BLOCKS` of them on their way to
 * the socket at a time.
 */
export function bufferRangeBody(head: Buffer, data: Buffer, tail: Buffer, onBytes: (bytes: number) => void): RequestBody {
  return {
    length: head.length + data.length + tail.length,
    async send(outgoing) {
      if (outgoing.destroyed) throw new Error('the request was closed');
      const closed = closing(outgoing);
      const pending: Promise<void>[] = [write(outgoing, head, closed)];
      for (let sent = 0; sent < data.length; ) {
        if (pending.length >= POOL_BLOCKS) await pending.shift();
        const end = Math.min(sent + BLOCK, data.length);
        pending.push(write(outgoing, data.subarray(sent, end), closed));
        sent = end;
        onBytes(sent);
      }
      await Promise.all(pending);
      await write(outgoing, tail, closed);
    },
  };
}

/**
 * `head`, bytes [start, end] of the file `source`, then `tail`, written with
 * the buffers of `pool` in turn: a buffer is read into again only once the
 * socket has taken what was written from it.
 */
export function fileRangeBody(
  pool: Buffer[],
  head: Buffer,
  source: string,
  start: number,
  end: number,
  tail: Buffer,
  onBytes: (bytes: number) => void,
  shorter: () => Error,
): RequestBody {
  const length = end - start + 1;
  return {
    length: head.length + length + tail.length,
    async send(outgoing) {
      if (outgoing.destroyed) throw new Error('the request was closed');
      const closed = closing(outgoing);
      const handle = await open(source, 'r');
      try {
        const pending: (Promise<void> | undefined)[] = pool.map(() => undefined);
        let last = write(outgoing, head, closed);
        let sent = 0;
        for (let turn = 0; sent < length; turn = (turn + 1) % pool.length) {
          const block = pool[turn] as Buffer;
          await pending[turn];
          const { bytesRead } = await handle.read(block, 0, Math.min(block.length, length - sent), start + sent);
          if (bytesRead === 0) throw shorter();
          sent += bytesRead;
          onBytes(sent);
          last = write(outgoing, block.subarray(0, bytesRead), closed);
          pending[turn] = last;
        }
        await Promise.all(pending);
        await last;
        await write(outgoing, tail, closed);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Standard base64 SHA-256 of a file, read in two alternating buffers (the next read runs while this block is hashed). */
export async function hashFile(source: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(source, 'r');
  try {
    const blocks = [Buffer.allocUnsafeSlow(BLOCK), Buffer.allocUnsafeSlow(BLOCK)];
    let position = 0;
    let turn = 0;
    let reading = handle.read(blocks[0] as Buffer, 0, BLOCK, position);
    for (;;) {
      const { bytesRead } = await reading;
      signal?.throwIfAborted();
      if (bytesRead === 0) break;
      position += bytesRead;
      const block = blocks[turn] as Buffer;
      turn = 1 - turn;
      reading = handle.read(blocks[turn] as Buffer, 0, BLOCK, position);
      hash.update(block.subarray(0, bytesRead));
    }
    return hash.digest('base64');
  } finally {
    await handle.close();
  }
}
