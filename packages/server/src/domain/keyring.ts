import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../store/private-files.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key a ciphertext names is not one this process holds: another master key wrote it. */
export class UnknownMasterKeyError extends Error {
  constructor(fingerprint: string, held: string[]) {
    super(
      `This secret was encrypted under the master key ${fingerprint}, which this process does not hold (it holds ${held.join(', ')}). ` +
        'Give it the key the server uses: ROTKI_PREMIUM_MASTER_KEY, or the data folder with its master.key.',
    );
    this.name = 'UnknownMasterKeyError';
  }
}

/** Names a key without revealing it: an HMAC of a fixed label under the key. */
export function keyFingerprint(key: Buffer): string {
  const mac = createHmac('sha256', key).update('rotki-premium master key fingerprint').digest('hex');
  return mac.slice(0, 16).replace(/(.{4})(?!$)/g, '$1:');
}

/** Stored form: `k1.<key id>.<base64(iv || tag || ciphertext)>`; older rows hold the base64 part alone. */
const VERSION_PREFIX = 'k1.';

/**
 * Encrypts secrets at rest with AES-256-GCM under the server's master key.
 * `context` is bound as additional data, so a ciphertext copied to another row
 * does not decrypt. Each ciphertext names its key (a fingerprint), so a key
 * rotation can re-encrypt row by row while the previous keys stay readable.
 */
export class KeyRing {
  readonly #key: Buffer;
  readonly #id: string;
  /** Every key this process can read with, by id; the primary first. */
  readonly #readable = new Map<string, Buffer>();

  constructor(masterKey: Buffer, otherKeys: readonly Buffer[] = []) {
    for (const key of [masterKey, ...otherKeys]) {
      if (key.length !== 32) throw new Error('The master key must be 32 bytes');
      this.#readable.set(keyId(key), key);
    }
    this.#key = masterKey;
    this.#id = keyId(masterKey);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION_PREFIX}${this.#id}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** The primary key's fingerprint: instances showing the same one hold the same key. */
  fingerprint(): string {
    return keyFingerprint(this.#key);
  }

  /** Fingerprints of every key this process can read with, the primary first. */
  fingerprints(): string[] {
    return [...this.#readable.values()].map(keyFingerprint);
  }

  /** True when `stored` was written under another key than the primary (a rotation re-encrypts it). */
  needsRotation(stored: string): boolean {
    return !stored.startsWith(`${VERSION_PREFIX}${this.#id}.`);
  }

  decrypt(stored: string, context: string): string {
    if (stored.startsWith(VERSION_PREFIX)) {
      const dot = stored.indexOf('.', VERSION_PREFIX.length);
      const id = stored.slice(VERSION_PREFIX.length, dot);
      const key = this.#readable.get(id);
      if (key === undefined) throw new UnknownMasterKeyError(formatId(id), this.fingerprints());
      return decryptWith(key, stored.slice(dot + 1), context);
    }
    // A row written before ciphertexts named their key: try each key held, the primary first.
    let failure: unknown = null;
    for (const key of this.#readable.values()) {
      try {
        return decryptWith(key, stored, context);
      } catch (error) {
        failure = error;
      }
    }
    throw failure instanceof Error ? failure : new Error('unable to decrypt');
  }
}

/** A key's id inside a ciphertext: its fingerprint without separators. */
function keyId(key: Buffer): string {
  return keyFingerprint(key).replaceAll(':', '');
}

function formatId(id: string): string {
  return id.replace(/(.{4})(?!$)/g, '$1:');
}

function decryptWith(key: Buffer, base64: string, context: string): string {
  const bytes = Buffer.from(base64, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
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
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return parseMasterKey(readFileSync(file, 'utf8').trim());
  }
  ensurePrivateDir(dataDir);
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

/** `ROTKI_PREMIUM_OTHER_MASTER_KEYS`: keys readable besides the primary during a rotation (comma-separated). */
export function parseOtherMasterKeys(text: string | undefined): Buffer[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry) => parseMasterKey(entry.trim()));
}
