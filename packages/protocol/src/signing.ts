import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { urlencode, type PythonValue } from './urlencode.ts';

/**
 * The strings the rotki app passes to `sign()` (PROTOCOL.md §2). The signed
 * path is always `/api/1/<method>`, also for requests sent to `/nest/1/...`.
 */
export const SIGN_METHODS = [
  'last_data_metadata',
  'statistics_rendererv2',
  'watchers',
  'devices',
  'limits',
  'backup',
  'backup/range',
  // Our app only (issue 9): the rotki app never calls it.
  'backup/history',
  // Our app only (issue 9): stale devices and replacements.
  'devices/status',
] as const;
export type SignMethod = (typeof SIGN_METHODS)[number];

/** Methods whose message carries the hex digest; the others carry the raw 32 bytes. */
const HEX_DIGEST_METHODS: ReadonlySet<SignMethod> = new Set(['devices', 'limits', 'backup', 'backup/range', 'backup/history', 'devices/status']);

export type DigestFamily = 'hex' | 'raw';

export function digestFamilyOf(method: SignMethod): DigestFamily {
  return HEX_DIGEST_METHODS.has(method) ? 'hex' : 'raw';
}

/**
 * `API-SIGN` for an already encoded parameter string (raw query string or GET
 * body): HMAC-SHA512 over the message M of PROTOCOL.md §4.2, the signed path
 * followed by the SHA-256 of the parameters (hex or raw, per method), fed to
 * the HMAC in its two parts.
 */
export function signEncoded(secret: Uint8Array, method: SignMethod, encodedParams: string | Uint8Array): string {
  const hmac = createHmac('sha512', secret).update(`/api/1/${method}`, 'ascii');
  if (digestFamilyOf(method) === 'hex') hmac.update(hash('sha256', encodedParams, 'hex'), 'ascii');
  else hmac.update(hash('sha256', encodedParams, 'buffer'));
  return hmac.digest('base64');
}

/** `API-SIGN` over ordered parameters, as the rotki app computes it. */
export function signParams(
  secret: Uint8Array,
  method: SignMethod,
  params: Iterable<readonly [string, PythonValue]>,
): string {
  return signEncoded(secret, method, urlencode(params));
}

/**
 * Compares a received `API-SIGN` with the expected one in constant time.
 * Signatures of another length are refused without comparing bytes.
 */
export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Verifies `API-SIGN` over an encoded parameter string. */
export function verifyEncoded(
  secret: Uint8Array,
  method: SignMethod,
  encodedParams: string | Uint8Array,
  received: string,
): boolean {
  return signatureMatches(signEncoded(secret, method, encodedParams), received);
}

/** The nonce the rotki app sends: milliseconds since the epoch. */
export function makeNonce(nowMs: number = Date.now()): number {
  return Math.floor(nowMs);
}
