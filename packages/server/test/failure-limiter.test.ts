import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../src/http/signed/failure-limiter.ts';

describe('FailureLimiter', () => {
  const T0 = 1_700_000_000_000;

  it('blocks a subject once it reaches the limit, until its window ends', () => {
    const limiter = new FailureLimiter(3, 60_000);
    expect(limiter.recordFailure('key-a', T0)).toBe(false);
    expect(limiter.recordFailure('key-a', T0 + 1_000)).toBe(false);
    expect(limiter.retryAfterSeconds('key-a', T0 + 1_000)).toBe(0);
    expect(limiter.recordFailure('key-a', T0 + 2_000)).toBe(true);
    expect(limiter.retryAfterSeconds('key-a', T0 + 2_000)).toBe(58);
    expect(limiter.retryAfterSeconds('key-a', T0 + 59_999)).toBe(1);
    expect(limiter.retryAfterSeconds('key-a', T0 + 60_000)).toBe(0);
  });

  it('reports reaching the limit once per window, then starts a new window', () => {
    const limiter = new FailureLimiter(2, 60_000);
    const reached = [0, 1, 2, 3].map((i) => limiter.recordFailure('key-a', T0 + i));
    expect(reached).toEqual([false, true, false, false]);
    expect(limiter.recordFailure('key-a', T0 + 60_000)).toBe(false);
    expect(limiter.retryAfterSeconds('key-a', T0 + 60_000)).toBe(0);
  });

  it('counts subjects apart', () => {
    const limiter = new FailureLimiter(1, 60_000);
    limiter.recordFailure('key-a', T0);
    expect(limiter.retryAfterSeconds('key-a', T0)).toBe(60);
    expect(limiter.retryAfterSeconds('key-b', T0)).toBe(0);
  });
});
