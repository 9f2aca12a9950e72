import { describe, expect, it } from 'vitest';
import { dummyHash, hashPassword, needsRehash, PASSWORD_HASH_COST, verifyPassword } from '../src/domain/passwords.ts';
import { SCRYPT_TIMEOUT_MS } from './support/test-context.ts';

/** The tests about the cost itself hash at the production cost; the rest at the lowest. */
const LOW = PASSWORD_HASH_COST.min;

describe('passwords', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  it('stores scrypt at N=2^17 by default with its parameters and a random salt, never the password', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(first).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(first).not.toContain('correct');
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
  });

  it('records the cost it hashed at, and verifies with the stored parameters whatever the cost now', async () => {
    const low = await hashPassword('correct horse battery', LOW);
    expect(low).toMatch(/^scrypt\$1024\$8\$1\$/);
    const higher = await hashPassword('correct horse battery', 12);
    expect(higher).toMatch(/^scrypt\$4096\$8\$1\$/);
    // Verification takes no cost: each hash carries its own.
    expect(await verifyPassword('correct horse battery', low)).toBe(true);
    expect(await verifyPassword('correct horse battery', higher)).toBe(true);
    expect(await verifyPassword('correct horse batterY', higher)).toBe(false);
  });

  it('names hashes made at another cost than the current one', async () => {
    const stored = await hashPassword('correct horse battery', LOW);
    expect(needsRehash(stored, LOW)).toBe(false);
    expect(needsRehash(stored, 17)).toBe(true);
  });

  it('refuses a cost outside the supported range', async () => {
    await expect(hashPassword('x', 9)).rejects.toThrow('password hash cost must be a whole number from 10 to 20, got 9');
    await expect(hashPassword('x', 21)).rejects.toThrow(RangeError);
    await expect(hashPassword('x', 12.5)).rejects.toThrow(RangeError);
  });

  it('accepts the right password only', async () => {
    const stored = await hashPassword('correct horse battery', LOW);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('treats compatibility forms of a character alike (NFKC)', async () => {
    const stored = await hashPassword('ﬁnance password', LOW);
    expect(await verifyPassword('finance password', stored)).toBe(true);
  });

  it('refuses a malformed stored hash or parameters it would not make, instead of throwing', async () => {
    const stored = await hashPassword('x', LOW);
    const [, , , , salt, hash] = stored.split('$');
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$1$2$3$a$b')).toBe(false);
    // The same salt and hash under other parameters: not a hash of ours.
    expect(await verifyPassword('x', ['scrypt', 1000, 8, 1, salt, hash].join('$'))).toBe(false);
    expect(await verifyPassword('x', ['scrypt', 2 ** 30, 8, 1, salt, hash].join('$'))).toBe(false);
    expect(await verifyPassword('x', ['scrypt', 1024, 16, 1, salt, hash].join('$'))).toBe(false);
  });

  it('has a dummy hash at each cost that no password matches', async () => {
    expect(dummyHash(LOW)).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(dummyHash(17)).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('', dummyHash(LOW))).toBe(false);
  });
});
