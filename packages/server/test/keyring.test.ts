import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, loadMasterKey, MASTER_KEY_FILE } from '../src/domain/keyring.ts';

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
    const bytes = Buffer.from(stored, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => ring.decrypt(bytes.toString('base64'), 'ctx')).toThrow();
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
