import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { DecryptionError, deriveKey, newSalt, open, seal } from '../src/local/crypto.ts';
import { deleteCredentials, loadCredentials, saveCredentials } from '../src/local/credentials.ts';
import { DEFAULT_SETTINGS, readSettings, updateSettings } from '../src/local/settings.ts';
import { addNote, listNotes } from '../src/local/user-data.ts';
import { createUser, openUser, type OpenUser } from '../src/local/user-store.ts';
import { decryptBackup, encryptBackup, exportDatabase, replaceDatabase } from '../src/sync/backup-blob.ts';

let dataDir: string;
const opened: OpenUser[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-app-unit-'));
});

afterEach(() => {
  for (const user of opened.splice(0)) {
    user.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function newUser(name: string, password = 'quiet lantern over moss'): Promise<OpenUser> {
  const user = await createUser(dataDir, name, password);
  opened.push(user);
  return user;
}

describe('password-derived encryption', { timeout: 60_000 }, () => {
  it('opens what it sealed, and nothing under another key or purpose', async () => {
    const salt = newSalt();
    const key = await deriveKey('password', salt);
    const sealed = seal(key, Buffer.from('hello'), 'purpose');
    expect(open(key, sealed, 'purpose').toString()).toBe('hello');
    expect(() => open(key, sealed, 'other purpose')).toThrow(DecryptionError);
    expect(() => open(Buffer.alloc(32), sealed, 'purpose')).toThrow(DecryptionError);
    expect((await deriveKey('password', salt)).equals(key)).toBe(true);
  });
});

describe('local users', { timeout: 60_000 }, () => {
  it('refuses a wrong password and an unknown user', async () => {
    const user = await newUser('ann', 'right amber kettle drum');
    user.close();
    await expect(openUser(dataDir, 'ann', 'wrong')).rejects.toMatchObject({ kind: 'wrong_password' });
    await expect(openUser(dataDir, 'nobody', 'right')).rejects.toMatchObject({ kind: 'user_not_found' });
    const again = await openUser(dataDir, 'ann', 'right amber kettle drum');
    opened.push(again);
    expect(again.name).toBe('ann');
  });

  it('stores the premium pair sealed, never in plain text', async () => {
    const user = await newUser('ben');
    const pair = { apiKey: 'rpk_visibleKeyText', apiSecret: 'c2VjcmV0IHNlY3JldCBzZWNyZXQ=' };
    saveCredentials(user.db, user.key, pair, 1);
    user.db.pragma('wal_checkpoint(TRUNCATE)');
    const raw = readFileSync(join(dataDir, 'users', 'ben', 'user.db'));
    expect(raw.includes(Buffer.from(pair.apiKey))).toBe(false);
    expect(raw.includes(Buffer.from(pair.apiSecret))).toBe(false);
    expect(loadCredentials(user.db, user.key)).toEqual(pair);
    expect(loadCredentials(user.db, Buffer.alloc(32))).toBeNull();
    expect(deleteCredentials(user.db)).toBe(true);
    expect(loadCredentials(user.db, user.key)).toBeNull();
  });

  it('has rotki defaults for settings; data writes bump last_write_ts, credentials do not', async () => {
    const user = await newUser('cat');
    expect(readSettings(user.db)).toEqual(DEFAULT_SETTINGS);
    saveCredentials(user.db, user.key, { apiKey: 'k', apiSecret: 'AAAA' }, 50);
    expect(readSettings(user.db).last_write_ts).toBe(0);
    addNote(user.db, { title: 't', content: 'c' }, 100);
    expect(readSettings(user.db).last_write_ts).toBe(100);
    expect(updateSettings(user.db, { premium_should_sync: true }, 200)).toMatchObject({ premium_should_sync: true, last_write_ts: 200 });
  });
});

describe('backup blob', { timeout: 60_000 }, () => {
  it('round-trips through zlib and AES-GCM, and refuses another password', async () => {
    const plain = Buffer.from('SQLite format 3\u0000 and some data '.repeat(100));
    const blob = await encryptBackup(plain, 'pw');
    expect(blob.subarray(0, 4).toString()).toBe('RPAB');
    expect(blob.length).toBeLessThan(plain.length);
    expect((await decryptBackup(blob, 'pw')).equals(plain)).toBe(true);
    await expect(decryptBackup(blob, 'other')).rejects.toMatchObject({ kind: 'remote_password_mismatch' });
    await expect(decryptBackup(Buffer.from('not a backup at all, just bytes'), 'pw')).rejects.toMatchObject({ kind: 'corrupt_backup' });
  });

  it('replaces the database with a checked export, keeping the previous one', async () => {
    const source = await newUser('dan');
    addNote(source.db, { title: 'from source', content: 'x' }, 10);
    const exported = await exportDatabase(source);

    const target = await newUser('eva');
    addNote(target.db, { title: 'local', content: 'y' }, 20);
    const keep = { apiKey: 'rpk_own', apiSecret: 'b3du' };
    saveCredentials(target.db, target.key, keep, 1);
    const kept = await replaceDatabase(target, exported, keep, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(kept).toMatch(/user_db_20260102T030405Z\.backup$/);
    expect(listNotes(target.db).map((n) => n.title)).toEqual(['from source']);
    expect(loadCredentials(target.db, target.key)).toEqual(keep);
    expect(readdirSync(join(dataDir, 'users', 'eva', 'backups'))).toEqual(['user_db_20260102T030405Z.backup']);
  });

  it('refuses a damaged database and leaves the local one alone', async () => {
    const target = await newUser('fay');
    addNote(target.db, { title: 'safe', content: 'z' }, 30);
    const error = await replaceDatabase(target, Buffer.from('this is not sqlite'), null, Date.now()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(listNotes(target.db).map((n) => n.title)).toEqual(['safe']);
    expect(readdirSync(join(dataDir, 'users', 'fay')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a database the password does not open', async () => {
    const other = await newUser('gus', 'another amber kettle drum');
    const exported = await exportDatabase(other);
    const target = await newUser('hal');
    await expect(replaceDatabase(target, exported, null, Date.now())).rejects.toMatchObject({ kind: 'remote_password_mismatch' });
  });
});
