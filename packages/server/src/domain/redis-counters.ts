import type { CounterStore } from './failure-counters.ts';

/** Adds to a counter and starts its window when it is new: one round trip, atomic on the Redis side. */
const ADD_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

/**
 * Counters in Redis (`--redis URL`), shared by every instance; a window is
 * the key's expiry, so Redis forgets ended windows by itself. Loaded only when
 * configured.
 */
export async function redisCounterStore(url: string, prefix = 'rotki-premium:limits:'): Promise<CounterStore> {
  const ioredis = await import('ioredis');
  // Bundled (the compiled build), the CommonJS module's exports arrive under `default`.
  const Redis = (ioredis.Redis as typeof ioredis.Redis | undefined) ?? (ioredis as unknown as { default: typeof ioredis }).default.Redis;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  await redis.connect();
  return {
    kind: 'redis',
    async add(key, by, nowMs, windowMs) {
      if (by === 0) {
        const [count, ttl] = await Promise.all([redis.get(prefix + key), redis.pttl(prefix + key)]);
        return count === null || ttl <= 0 ? { count: 0, windowEndsAt: nowMs } : { count: Number(count), windowEndsAt: nowMs + ttl };
      }
      const [count, ttl] = (await redis.eval(ADD_SCRIPT, 1, prefix + key, String(by), String(windowMs))) as [number, number];
      return { count: Number(count), windowEndsAt: nowMs + Math.max(0, Number(ttl)) };
    },
    async sweep() {},
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
