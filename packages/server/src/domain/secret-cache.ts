import type { DomainContext } from './context.ts';
import type { KeyRing } from './keyring.ts';

/**
 * Decrypted API secrets, by account, each with the ciphertext it came from.
 * The signed path still reads the credentials row on every request and uses
 * an entry only when the row's ciphertext is the one it was decrypted from:
 * a regenerated pair (a new ciphertext) or a removed one (no row) is refused
 * at once on every instance, without a TTL or a message between instances.
 * Forgetting an entry on regenerate or removal only frees its memory sooner.
 */
const MAX_ENTRIES = 10_000;

interface Entry {
  ciphertext: string;
  secret: string;
}

/** One cache per key ring: a test's context never sees another's secrets. */
const caches = new WeakMap<KeyRing, Map<number, Entry>>();

function cacheOf(keyRing: KeyRing): Map<number, Entry> {
  let cache = caches.get(keyRing);
  if (cache === undefined) {
    cache = new Map();
    caches.set(keyRing, cache);
  }
  return cache;
}

/** The secret `ciphertext` holds, decrypted once per (account, ciphertext). */
export function decryptSecret(ctx: DomainContext, accountId: number, ciphertext: string, context: string): string {
  const cache = cacheOf(ctx.keyRing);
  const entry = cache.get(accountId);
  if (entry !== undefined && entry.ciphertext === ciphertext) return entry.secret;
  const secret = ctx.keyRing.decrypt(ciphertext, context);
  cache.delete(accountId);
  // The oldest entry out (Map keeps insertion order).
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as number);
  cache.set(accountId, { ciphertext, secret });
  return secret;
}

export function forgetSecret(ctx: DomainContext, accountId: number): void {
  caches.get(ctx.keyRing)?.delete(accountId);
}

/** Entries held (for tests). */
export function cachedSecretCount(ctx: DomainContext): number {
  return caches.get(ctx.keyRing)?.size ?? 0;
}

/** Whether the account's secret is held, decrypted from `ciphertext` (for tests). */
export function isSecretCached(ctx: DomainContext, accountId: number): boolean {
  return caches.get(ctx.keyRing)?.has(accountId) ?? false;
}
