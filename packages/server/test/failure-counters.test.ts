import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseCounterStore, failureCounter, memoryCounterStore, type CounterStore } from '../src/domain/failure-counters.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

const T0 = 1_700_000_000_000;

describe.each(['memory', 'database'] as const)('failure counters (%s)', (kind) => {
  let t: TestContext;
  let store: CounterStore;
  let namespace = 0;
  /** A limiter of its own per test, so tests do not share subjects. */
  const limiter = (limit: number) => {
    namespace += 1;
    return failureCounter(store, `test${namespace}`, limit, 60_000);
  };

  beforeAll(async () => {
    t = await createTestContext();
    store = kind === 'memory' ? memoryCounterStore() : databaseCounterStore(t.ctx.store.db);
  });
  afterAll(async () => {
    await store.close();
    await t.cleanup();
  });

  it('blocks a subject once it reaches the limit, until its window ends', async () => {
    const counter = limiter(3);
    expect(await counter.recordFailure('key-a', T0)).toBe(false);
    expect(await counter.recordFailure('key-a', T0 + 1_000)).toBe(false);
    expect(await counter.retryAfterSeconds('key-a', T0 + 1_000)).toBe(0);
    expect(await counter.recordFailure('key-a', T0 + 2_000)).toBe(true);
    expect(await counter.retryAfterSeconds('key-a', T0 + 2_000)).toBe(58);
    expect(await counter.retryAfterSeconds('key-a', T0 + 59_999)).toBe(1);
    expect(await counter.retryAfterSeconds('key-a', T0 + 60_000)).toBe(0);
  });

  it('reports reaching the limit once per window, then starts a new window', async () => {
    const counter = limiter(2);
    const reached: boolean[] = [];
    for (const i of [0, 1, 2, 3]) reached.push(await counter.recordFailure('key-a', T0 + i));
    expect(reached).toEqual([false, true, false, false]);
    expect(await counter.recordFailure('key-a', T0 + 60_000)).toBe(false);
    expect(await counter.retryAfterSeconds('key-a', T0 + 60_000)).toBe(0);
  });

  it('counts subjects and kinds apart', async () => {
    const counter = limiter(1);
    const other = limiter(1);
    await counter.recordFailure('key-a', T0);
    expect(await counter.retryAfterSeconds('key-a', T0)).toBe(60);
    expect(await counter.retryAfterSeconds('key-b', T0)).toBe(0);
    expect(await other.retryAfterSeconds('key-a', T0)).toBe(0);
  });

  it('loses no count when failures arrive at once', async () => {
    const counter = limiter(50);
    const results = await Promise.all(Array.from({ length: 50 }, () => counter.recordFailure('burst', T0)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await counter.retryAfterSeconds('burst', T0)).toBe(60);
  });

  it('forgets ended windows when swept', async () => {
    const counter = limiter(1);
    await counter.recordFailure('old', T0);
    await store.sweep(T0 + 60_000);
    expect(await counter.retryAfterSeconds('old', T0 + 1)).toBe(0);
  });
});
