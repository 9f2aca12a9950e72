import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, loadMasterKey, MASTER_KEY_FILE, UnknownMasterKeyError } from '../src/domain/keyring.ts';

describe('KeyRing', () => {
  const ring = new KeyRing(randomBytes(32));

  it('decrypts what it encrypted, under the same context', () => {
    const stored = ring.encrypt('rPSk secret text', 'api-secret:account:1');
    expect(stored).not.toContain('rPSk');
    expect(ring.decrypt(stored, 'api-secret:account:1')).toBe('rPSk secret text');
  });

  it('uses a fresh IV each time', () => {
    expect(ring.encrypt('same', 'ctx')).not.toBe(ring.encrypt('same', 'ctx'));
  });

  it('refuses a ciphertext moved to another context', () => {
    const stored = ring.encrypt('secret', 'api-secret:account:1');
    expect(() => ring.decrypt(stored, 'api-secret:account:2')).toThrow();
  });

  it('refuses another master key and a tampered ciphertext', () => {
    const stored = ring.encrypt('secret', 'ctx');
    expect(() => new KeyRing(randomBytes(32)).decrypt(stored, 'ctx')).toThrow();
    const prefix = stored.slice(0, stored.lastIndexOf('.') + 1);
    const bytes = Buffer.from(stored.slice(prefix.length), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => ring.decrypt(prefix + bytes.toString('base64'), 'ctx')).toThrow();
  });

  it('names the key in each ciphertext, reads with every key it holds and writes with the primary', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const old = new KeyRing(oldKey);
    const stored = old.encrypt('secret', 'ctx');
    expect(stored.startsWith(`k1.${old.fingerprint().replaceAll(':', '')}.`)).toBe(true);
    const rotating = new KeyRing(newKey, [oldKey]);
    expect(rotating.decrypt(stored, 'ctx')).toBe('secret');
    expect(rotating.needsRotation(stored)).toBe(true);
    const fresh = rotating.encrypt('secret', 'ctx');
    expect(rotating.needsRotation(fresh)).toBe(false);
    expect(() => new KeyRing(oldKey).decrypt(fresh, 'ctx')).toThrow(UnknownMasterKeyError);
    expect(() => new KeyRing(oldKey).decrypt(fresh, 'ctx')).toThrow(rotating.fingerprint());
  });

  it('reads a ciphertext from before key ids with any key it holds', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const legacy = new KeyRing(oldKey).encrypt('secret', 'ctx').replace(/^k1\.[0-9a-f]+\./, '');
    expect(new KeyRing(newKey, [oldKey]).decrypt(legacy, 'ctx')).toBe('secret');
    expect(new KeyRing(newKey, [oldKey]).needsRotation(legacy)).toBe(true);
    expect(() => new KeyRing(newKey).decrypt(legacy, 'ctx')).toThrow();
  });

  it('needs a 32-byte key', () => {
    expect(() => new KeyRing(randomBytes(16))).toThrow('The master key must be 32 bytes');
  });
});

describe('loadMasterKey', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-key-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the key file on first start, readable by its owner only, and reads it back afterwards', () => {
    const dir = join(scratch(), 'nested');
    const key = loadMasterKey(undefined, dir);
    const file = join(dir, MASTER_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${key.toString('hex')}\n`);
    expect(loadMasterKey('', dir).equals(key)).toBe(true);
  });

  it('keeps the data folder 0700 and narrows a key file an older version left wider', () => {
    const dir = join(scratch(), 'private');
    loadMasterKey(undefined, dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(join(dir, MASTER_KEY_FILE), 0o644);
    loadMasterKey(undefined, dir);
    expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('prefers the environment, as hex or base64, and writes no file then', () => {
    const dir = scratch();
    const key = randomBytes(32);
    expect(loadMasterKey(key.toString('hex'), dir).equals(key)).toBe(true);
    expect(loadMasterKey(key.toString('base64'), dir).equals(key)).toBe(true);
    expect(() => statSync(join(dir, MASTER_KEY_FILE))).toThrow();
  });

  it('refuses a key of the wrong length', () => {
    const dir = scratch();
    expect(() => loadMasterKey('abcd', dir)).toThrow('The master key must be 32 bytes');
    writeFileSync(join(dir, MASTER_KEY_FILE), 'short\n');
    expect(() => loadMasterKey(undefined, dir)).toThrow('The master key must be 32 bytes');
  });
});
