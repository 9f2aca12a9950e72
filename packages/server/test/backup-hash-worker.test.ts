import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrailingHashes } from '../src/domain/backup-hash-worker.ts';

const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'hash-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

/** Writes `data` at `start` in 256 KiB blocks, telling the chunk after each, as the file store does. */
function writeChunk(path: string, data: Buffer, start: number, written: (offset: number) => void): void {
  const fd = openSync(path, start === 0 ? 'w' : 'r+');
  try {
    for (let at = 0; at < data.length; at += 256 * 1024) {
      const block = data.subarray(at, at + 256 * 1024);
      writeSync(fd, block, 0, block.length, start + at);
      written(start + at + block.length);
    }
  } finally {
    closeSync(fd);
  }
}

describe('the upload hashing worker', () => {
  it('keeps the running hash across chunks, read behind the writer', async () => {
    const hashes = new TrailingHashes();
    const path = join(dir, 'a');
    const data = randomBytes(7 * MIB + 123);
    const ends = [3 * MIB, 6 * MIB, data.length];
    let start = 0;
    for (const end of ends) {
      const chunk = hashes.begin('a', path, start);
      writeChunk(path, data.subarray(start, end), start, (offset) => chunk.written(offset));
      chunk.end('a', end);
      start = end;
    }
    expect(await hashes.digest('a', data.length)).toBe(hashOf(data));
    expect(await hashes.digest('a', data.length - 1)).toBeNull();
    hashes.forget('a');
    expect(hashes.alive).toBe(false);
  });

  it('an aborted chunk leaves the running hash where it was: the chunk sent again with other bytes counts', async () => {
    const hashes = new TrailingHashes();
    const path = join(dir, 'b');
    const data = randomBytes(4 * MIB);
    const first = hashes.begin('b', path, 0);
    writeChunk(path, data.subarray(0, 2 * MIB), 0, (offset) => first.written(offset));
    first.end('b', 2 * MIB);
    const broken = hashes.begin('b', path, 2 * MIB);
    writeChunk(path, randomBytes(MIB + 5), 2 * MIB, (offset) => broken.written(offset));
    // Give the worker time to hash the bytes that are then thrown away.
    await new Promise((resolve) => setTimeout(resolve, 50));
    broken.abort();
    const again = hashes.begin('b', path, 2 * MIB);
    writeChunk(path, data.subarray(2 * MIB), 2 * MIB, (offset) => again.written(offset));
    again.end('b', data.length);
    expect(await hashes.digest('b', data.length)).toBe(hashOf(data));
    await hashes.close();
  });

  it('has no digest for a chunk that does not continue the running hash, or a file shorter than told', async () => {
    const hashes = new TrailingHashes();
    const path = join(dir, 'c');
    const data = randomBytes(2 * MIB);
    const first = hashes.begin('c', path, 0);
    writeChunk(path, data.subarray(0, MIB), 0, (offset) => first.written(offset));
    first.end('c', MIB);
    const gap = hashes.begin('c', path, MIB + 1);
    gap.end('c', data.length);
    expect(await hashes.digest('c', data.length)).toBeNull();
    const short = hashes.begin('d', join(dir, 'd'), 0);
    writeChunk(join(dir, 'd'), data.subarray(0, 10), 0, (offset) => short.written(offset));
    short.end('d', 20);
    expect(await hashes.digest('d', 20)).toBeNull();
    await hashes.close();
  });
});
