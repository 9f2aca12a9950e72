import { describe, expect, it } from 'vitest';
import { ReadBatcher } from '../src/store/read-batch.ts';

describe('ReadBatcher', () => {
  it('sends the keys asked for in one turn in one read, each caller getting its own value', async () => {
    const reads: string[][] = [];
    const batcher = new ReadBatcher<string, string>(async (keys) => {
      reads.push(keys);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
    }, { maxKeys: 2 });
    const answers = await Promise.all([batcher.get('a'), batcher.get('b'), batcher.get('a'), batcher.get('missing')]);
    expect(answers).toEqual(['A', 'B', 'A', undefined]);
    // Keys deduplicated, at most maxKeys per read.
    expect(reads).toEqual([['a', 'b'], ['missing']]);
  });

  it('never joins a read already sent: a key asked for meanwhile goes in the next read', async () => {
    let version = 1;
    const reads: number[] = [];
    const releases: (() => void)[] = [];
    const batcher = new ReadBatcher<1, number>(async () => {
      reads.push(version);
      const seen = version;
      await new Promise<void>((resolve) => releases.push(resolve));
      return new Map([[1, seen]]);
    }, { maxKeys: 1 });
    const first = batcher.get(1);
    await new Promise((resolve) => setImmediate(resolve));
    // The first read is in flight; a change committed now must show in the next caller's answer.
    version = 2;
    const second = batcher.get(1);
    await new Promise((resolve) => setImmediate(resolve));
    for (const release of releases) release();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(reads).toEqual([1, 2]);
  });

  it('refuses every caller of a failed read', async () => {
    const batcher = new ReadBatcher<string, string>(() => Promise.reject(new Error('down')), { maxKeys: 10 });
    await expect(Promise.all([batcher.get('a'), batcher.get('b')])).rejects.toThrow('down');
  });
});
