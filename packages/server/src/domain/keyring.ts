import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts secrets at rest with AES-256-GCM under the server's master key.
 * Stored form: base64(iv || tag || ciphertext). `context` is bound as
 * additional data, so a ciphertext copied to another row does not decrypt.
 */
export class KeyRing {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('The master key must be 32 bytes');
    this.#key = masterKey;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  /**
   * Names the key without revealing it (an HMAC of a fixed label under the
   * key): instances showing the same fingerprint hold the same key.
   */
  fingerprint(): string {
    const mac = createHmac('sha256', this.#key).update('rotki-premium master key fingerprint').digest('hex');
    return mac.slice(0, 16).replace(/(.{4})(?!$)/g, '$1:');
  }

  decrypt(stored: string, context: string): string {
    const bytes = Buffer.from(stored, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

export const MASTER_KEY_FILE = 'master.key';

/**
 * The master key: from `ROTKI_PREMIUM_MASTER_KEY` (64 hex characters or base64
 * of 32 bytes) when given, else from `<dataDir>/master.key`, created on first
 * start with mode 0600. Losing it makes stored secrets unreadable: back it up.
 */
export function loadMasterKey(fromEnvironment: string | undefined, dataDir: string): Buffer {
  if (fromEnvironment !== undefined && fromEnvironment !== '') return parseMasterKey(fromEnvironment);
  const file = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) return parseMasterKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // 'wx' fails if another process created the file first; then read theirs.
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseMasterKey(readFileSync(file, 'utf8').trim());
    throw error;
  }
}

function parseMasterKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new Error('The master key must be 32 bytes, given as 64 hex characters or base64');
  }
  return key;
}
