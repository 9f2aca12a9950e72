import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { WrittenCallback } from './blob-store.ts';

/**
 * Writing a chunk's bytes into the upload file: the socket's blocks (64 KiB
 * each) gathered into writes of at least `WRITE_BATCH` bytes, one write at a
 * time, instead of a write per block or two (a trip to the thread pool each,
 * and on a machine with few cores a thread woken each time).
 */

/** Bytes gathered before a write; reading pauses while a write runs and as much again waits. */
export const WRITE_BATCH = 1024 * 1024;

async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  for (;;) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    let skipped = bytesWritten;
    while (rest.length > 0 && skipped >= (rest[0] as Buffer).length) {
      skipped -= (rest[0] as Buffer).length;
      rest = rest.slice(1);
    }
    if (rest.length === 0) return;
    if (bytesWritten === 0) throw new Error('the upload file accepted no bytes');
    rest = [(rest[0] as Buffer).subarray(skipped), ...rest.slice(1)];
  }
}

/**
 * Writes what `data` yields into `handle` from `offset` on. Resolves once
 * every byte is written; rejects with `data`'s error (and with a write's, after
 * destroying `data`). `written` is told the absolute offset the file holds up
 * to after each write. `handle` may still be opening: bytes gather meanwhile.
 */
export function writeStream(handle: Promise<FileHandle>, offset: number, data: Readable, written?: WrittenCallback): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let position = offset;
    let writing = false;
    let ended = false;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      if (!data.destroyed) data.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const flush = (): void => {
      if (writing || failed) return;
      if (batchBytes === 0) {
        if (ended) resolve();
        return;
      }
      const buffers = batch;
      const at = position;
      position += batchBytes;
      batch = [];
      batchBytes = 0;
      writing = true;
      handle
        .then((h) => writeAll(h, buffers, at))
        .then(() => {
          writing = false;
          written?.(position);
          if (data.isPaused() && !ended) data.resume();
          if (ended || batchBytes >= WRITE_BATCH) flush();
        }, fail);
    };
    data.on('data', (chunk: Buffer) => {
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes < WRITE_BATCH) return;
      if (writing) data.pause();
      else flush();
    });
    data.once('end', () => {
      ended = true;
      flush();
    });
    data.on('error', fail);
    data.once('close', () => {
      if (!ended) fail(new Error('the chunk ended before all its bytes arrived'));
    });
    handle.catch(fail);
  });
}
