import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, texts } from '../errors.ts';
import { DecryptionError, deriveKey, newSalt, open, seal } from './crypto.ts';
import { getMeta, openUserDb, setMeta, type UserDb } from './user-db.ts';

/**
 * The local users of one data folder: `<data>/users/<name>/user.db`, with
 * earlier databases kept in `<data>/users/<name>/backups/` when a download
 * replaced them.
 */

const CHECK_AAD = 'rotki-premium-app:password-check';
const CHECK_TEXT = 'rotki-premium-app';
export const USER_DB_FILE = 'user.db';

/** 1–64 letters, digits, `_`, `.` or `-`, not starting with a dot: the name is a folder name. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

export function validateUserName(name: string): string {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new AppError('invalid_input', 'A user name has 1–64 letters, digits, "_", "." or "-" and does not start with a dot');
  }
  return name;
}

export function validatePassword(password: string): string {
  if (password.length === 0) throw new AppError('invalid_input', 'The password must not be empty');
  return password;
}

export function usersDir(dataDir: string): string {
  return join(dataDir, 'users');
}

export function userDir(dataDir: string, name: string): string {
  return join(usersDir(dataDir), validateUserName(name));
}

export function userDbPath(dataDir: string, name: string): string {
  return join(userDir(dataDir, name), USER_DB_FILE);
}

export function userBackupsDir(dataDir: string, name: string): string {
  return join(userDir(dataDir, name), 'backups');
}

export function listUsers(dataDir: string): string[] {
  if (!existsSync(usersDir(dataDir))) return [];
  return readdirSync(usersDir(dataDir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && USER_NAME_PATTERN.test(entry.name) && existsSync(join(usersDir(dataDir), entry.name, USER_DB_FILE)))
    .map((entry) => entry.name)
    .sort();
}

export function userExists(dataDir: string, name: string): boolean {
  return existsSync(userDbPath(dataDir, name));
}

const LOCK_FILE = '.session.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process at a time per user: a download swaps the database file, which
 * another process holding it open would not see. A lock left by a process
 * that is gone is taken over.
 */
export function lockUser(dataDir: string, name: string): () => void {
  const path = join(userDir(dataDir, name), LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new AppError(
          'already_logged_in',
          `User ${name} is logged in by another running app (process ${holder}). Log out there first.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new AppError('already_logged_in', `User ${name} is logged in elsewhere`);
}

/** A logged-in user: the open database and the key derived from the password. */
export interface OpenUser {
  name: string;
  dataDir: string;
  db: UserDb;
  /** AES key for values stored in this database (credentials). */
  key: Buffer;
  /** Kept in memory only, to decrypt a backup from another device (its own salt). */
  password: string;
  /** Closes the database and releases the user for other processes. */
  close(): void;
}

function openedUser(dataDir: string, name: string, db: UserDb, key: Buffer, password: string, unlock: () => void): OpenUser {
  const user: OpenUser = {
    name,
    dataDir,
    db,
    key,
    password,
    close() {
      if (user.db.open) user.db.close();
      unlock();
    },
  };
  return user;
}

/** Writes the password check into a database: a new salt, and a value only the right password opens. */
export async function writePasswordCheck(db: UserDb, password: string): Promise<Buffer> {
  const salt = newSalt();
  const key = await deriveKey(password, salt);
  setMeta(db, 'kdf_salt', salt.toString('base64'));
  setMeta(db, 'password_check', seal(key, Buffer.from(CHECK_TEXT), CHECK_AAD).toString('base64'));
  return key;
}

/** The key for `password`, or null when it is not this database's password. */
export async function unlockDb(db: UserDb, password: string): Promise<Buffer | null> {
  const salt = getMeta(db, 'kdf_salt');
  const check = getMeta(db, 'password_check');
  if (salt === null || check === null) return null;
  const key = await deriveKey(password, Buffer.from(salt, 'base64'));
  try {
    open(key, Buffer.from(check, 'base64'), CHECK_AAD);
    return key;
  } catch (error) {
    if (error instanceof DecryptionError) return null;
    throw error;
  }
}

export async function createUser(dataDir: string, name: string, password: string): Promise<OpenUser> {
  validateUserName(name);
  validatePassword(password);
  if (userExists(dataDir, name)) throw new AppError('user_exists', `User ${name} already exists`);
  // The password encrypts the premium keys and the backups, which can be attacked offline: refuse one quick to guess.
  // The estimator's dictionaries load here, on first use: decompressing them took most of every other command's start.
  const { passwordVerdict, weakPasswordMessage } = await import('@rotki-premium/protocol/password-strength');
  const verdict = passwordVerdict(password, [name]);
  if (!verdict.acceptable) throw new AppError('invalid_input', weakPasswordMessage(verdict));
  const dir = userDir(dataDir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = lockUser(dataDir, name);
  let db: UserDb | null = null;
  try {
    db = openUserDb(join(dir, USER_DB_FILE), { create: true });
    const key = await writePasswordCheck(db, password);
    return openedUser(dataDir, name, db, key, password, unlock);
  } catch (error) {
    db?.close();
    unlock();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function openUser(dataDir: string, name: string, password: string): Promise<OpenUser> {
  validateUserName(name);
  if (!userExists(dataDir, name)) throw new AppError('user_not_found', `User ${name} does not exist`);
  const db = openUserDb(userDbPath(dataDir, name));
  let unlock: (() => void) | null = null;
  try {
    const key = await unlockDb(db, password);
    if (key === null) throw new AppError('wrong_password', texts.wrongPassword());
    unlock = lockUser(dataDir, name);
    return openedUser(dataDir, name, db, key, password, unlock);
  } catch (error) {
    db.close();
    unlock?.();
    throw error;
  }
}
