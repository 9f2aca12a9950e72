import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The API credential format (PROTOCOL.md decision 10).
 *
 * API key:    `rpk_` + base64url(24 random bytes || CRC32 big-endian of those bytes)
 *             = `rpk_` + 38 characters, 42 in all. Sent as is in `API-KEY`.
 * API secret: standard, padded base64 of 57 bytes = 76 characters:
 *             3 marker bytes (which encode as the text `rPSk`) || 50 random bytes
 *             || CRC32 big-endian of the first 53 bytes.
 *             The rotki app base64-decodes the secret; the 57 decoded bytes are
 *             the HMAC-SHA512 key. The text is canonical base64, so the app
 *             stores it unchanged.
 *
 * Both checksums let a scanner confirm a leaked value offline without calling
 * the server: match the regexes below, then `isWellFormedApiKey` /
 * `isWellFormedApiSecret`.
 */
export const API_KEY_PREFIX = 'rpk_';
export const API_SECRET_MARKER = 'rPSk';

const KEY_RANDOM_BYTES = 24;
const SECRET_RANDOM_BYTES = 50;
const SECRET_MARKER_BYTES = Buffer.from(API_SECRET_MARKER, 'base64');

/** Finds API keys in any text. */
export const API_KEY_PATTERN = /(?<![A-Za-z0-9_-])rpk_[A-Za-z0-9_-]{38}(?![A-Za-z0-9_-])/g;
/** Finds API secrets in any text. */
export const API_SECRET_PATTERN = /(?<![A-Za-z0-9+/])rPSk[A-Za-z0-9+/]{72}(?![A-Za-z0-9+/=])/g;

export interface ApiCredentialPair {
  apiKey: string;
  apiSecret: string;
}

function checksum(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes) >>> 0);
  return out;
}

/** Creates a fresh key and secret from the CSPRNG. */
export function generateApiCredentials(): ApiCredentialPair {
  const keyRandom = randomBytes(KEY_RANDOM_BYTES);
  const apiKey = API_KEY_PREFIX + Buffer.concat([keyRandom, checksum(keyRandom)]).toString('base64url');
  const secretBody = Buffer.concat([SECRET_MARKER_BYTES, randomBytes(SECRET_RANDOM_BYTES)]);
  const apiSecret = Buffer.concat([secretBody, checksum(secretBody)]).toString('base64');
  return { apiKey, apiSecret };
}

/** True when the key has our prefix, length and a matching checksum. */
export function isWellFormedApiKey(apiKey: string): boolean {
  if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length !== API_KEY_PREFIX.length + 38) return false;
  const payload = apiKey.slice(API_KEY_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) return false;
  const bytes = Buffer.from(payload, 'base64url');
  const body = bytes.subarray(0, KEY_RANDOM_BYTES);
  return checksum(body).equals(bytes.subarray(KEY_RANDOM_BYTES));
}

/** True when the secret is ours: marker, length, canonical base64 and a matching checksum. */
export function isWellFormedApiSecret(apiSecret: string): boolean {
  const bytes = decodeApiSecret(apiSecret);
  if (bytes === null || bytes.length !== 57 || !apiSecret.startsWith(API_SECRET_MARKER)) return false;
  return checksum(bytes.subarray(0, 53)).equals(bytes.subarray(53));
}

/**
 * Decodes a secret the way the rotki app must be able to: strict, padded,
 * standard base64. Returns null for anything else. Any valid base64 secret is
 * usable as an HMAC key (the app accepts secrets that are not ours, too).
 */
export function decodeApiSecret(apiSecret: string): Buffer | null {
  if (apiSecret.length === 0 || apiSecret.length % 4 !== 0) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(apiSecret)) return null;
  const bytes = Buffer.from(apiSecret, 'base64');
  return bytes.toString('base64') === apiSecret ? bytes : null;
}
