import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BackgroundHash } from '../src/background-hash.ts';

describe('BackgroundHash', () => {
  it('gives the SHA-256 of every block, views into a larger buffer included, in order', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const hash = new BackgroundHash();
    // Blocks that are views into `data` (as sockets hand out): only their own bytes count.
    for (let offset = 0; offset < data.length; offset += 65_536) await hash.update(data.subarray(offset, offset + 65_536));
    expect(await hash.digest()).toBe(createHash('sha256').update(data).digest('base64'));
  });

  it('makes the writer wait once more than its limit waits for the worker, and still hashes everything', async () => {
    const blocks = Array.from({ length: 64 }, () => randomBytes(256 * 1024));
    const hash = new BackgroundHash(1024 * 1024);
    let waited = 0;
    for (const block of blocks) {
      const queued = hash.update(block);
      let settled = false;
      void queued.then(() => (settled = true));
      await Promise.resolve();
      if (!settled) waited += 1;
      await queued;
    }
    expect(waited).toBeGreaterThan(0);
    const expected = createHash('sha256');
    for (const block of blocks) expected.update(block);
    expect(await hash.digest()).toBe(expected.digest('base64'));
  });

  it('of nothing: the SHA-256 of the empty string', async () => {
    expect(await new BackgroundHash().digest()).toBe(createHash('sha256').digest('base64'));
  });
});
