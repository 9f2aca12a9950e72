import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/**
 * Password-derived encryption for what the app keeps on disk and what it
 * uploads: scrypt turns the local user's password into an AES-256-GCM key.
 * A sealed value is `iv (12) || ciphertext || tag (16)`.
 */

export const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** scrypt cost N = 2^15, r = 8, p = 1: 32 MiB and a fraction of a second per login on a small machine. */
export const SCRYPT_PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export class DecryptionError extends Error {
  constructor() {
    super('The data could not be decrypted: wrong password or damaged data');
    this.name = 'DecryptionError';
  }
}

export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}

/** The 32-byte AES key for `password` and `salt`. */
export function deriveKey(password: string, salt: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT_PARAMS, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** AES-256-GCM with a random IV; `aad` binds the value to its purpose. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Opens a value sealed by `seal`; throws `DecryptionError` for a wrong key or altered bytes. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError();
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}
