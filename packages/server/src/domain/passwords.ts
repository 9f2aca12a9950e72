import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The scrypt cost as log2 of N (r=8, p=1). The default is the OWASP
 * parameter set N=2^17; it is also the production minimum, below which the
 * server warns at start. Lower costs exist for test servers only.
 */
export const PASSWORD_HASH_COST = { default: 17, productionMinimum: 17, min: 10, max: 20 } as const;

const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Room for scrypt's 128·N·r bytes, with margin. */
function maxMemory({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2) + 1024 * 1024;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: maxMemory(params) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function paramsFor(cost: number): ScryptParams {
  if (!Number.isInteger(cost) || cost < PASSWORD_HASH_COST.min || cost > PASSWORD_HASH_COST.max) {
    throw new RangeError(`password hash cost must be a whole number from ${PASSWORD_HASH_COST.min} to ${PASSWORD_HASH_COST.max}, got ${cost}`);
  }
  return { N: 2 ** cost, r: BLOCK_SIZE, p: PARALLELISM };
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64: the parameters travel with the hash. */
export async function hashPassword(password: string, cost: number = PASSWORD_HASH_COST.default): Promise<string> {
  const params = paramsFor(cost);
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** The parameters a stored hash names, or null when they are not ones this server would make. */
function storedParams(n: string | undefined, r: string | undefined, p: string | undefined): ScryptParams | null {
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const cost = Math.log2(params.N);
  const known = Number.isInteger(cost) && cost >= PASSWORD_HASH_COST.min && cost <= PASSWORD_HASH_COST.max;
  return known && params.r === BLOCK_SIZE && params.p === PARALLELISM ? params : null;
}

/** Checks a password against a stored hash with the parameters stored in it (whatever the current cost). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const params = storedParams(n, r, p);
  if (scheme !== 'scrypt' || params === null || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made at another cost than `cost` (a login may then store a new one). */
export function needsRehash(stored: string, cost: number): boolean {
  return stored.split('$')[1] !== String(2 ** cost);
}

/**
 * A hash (of no password: salt and hash are zeros) at `cost`, to check against
 * when there is no account: the same work as a real check, so timing does not
 * reveal which accounts exist.
 */
export function dummyHash(cost: number): string {
  const { N, r, p } = paramsFor(cost);
  return ['scrypt', N, r, p, Buffer.alloc(16).toString('base64'), Buffer.alloc(KEY_LENGTH).toString('base64')].join('$');
}
