import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflate, inflate } from 'node:zlib';
import { AppError, texts } from '../errors.ts';
import { DecryptionError, SALT_BYTES, deriveKey, newSalt, open, seal } from '../local/crypto.ts';
import { saveCredentials, type PremiumCredentials } from '../local/credentials.ts';
import { checkIntegrity, openUserDb } from '../local/user-db.ts';
import { USER_DB_FILE, unlockDb, userBackupsDir, userDir, type OpenUser } from '../local/user-store.ts';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/**
 * The backup blob, opaque to the server: `RPAB` || version 1 || scrypt salt (16)
 * || AES-256-GCM sealed (zlib level 9 of the SQLite file). The key comes from
 * the user's password and the salt in the blob, so another device with the
 * same password opens it.
 */
const MAGIC = Buffer.from('RPAB', 'ascii');
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 1 + SALT_BYTES;
const AAD = 'rotki-premium-app:backup:v1';

function tempPath(user: OpenUser, purpose: string): string {
  return join(userDir(user.dataDir, user.name), `.${purpose}-${randomBytes(6).toString('hex')}.tmp`);
}

/** A consistent copy of the open database (SQLite's backup API), checked and read into memory. */
export async function exportDatabase(user: OpenUser): Promise<Buffer> {
  const path = tempPath(user, 'export');
  try {
    await user.db.backup(path);
    const copy = openUserDb(path, { readonly: true });
    try {
      const problem = checkIntegrity(copy);
      if (problem !== null) throw new AppError('corrupt_backup', `The local database failed its check before upload: ${problem}`);
    } finally {
      copy.close();
    }
    return readFileSync(path);
  } finally {
    rmSync(path, { force: true });
  }
}

export async function encryptBackup(plain: Uint8Array, password: string): Promise<Buffer> {
  const salt = newSalt();
  const key = await deriveKey(password, salt);
  const compressed = await deflateAsync(plain, { level: 9 });
  return Buffer.concat([MAGIC, Buffer.from([VERSION]), salt, seal(key, compressed, AAD)]);
}

/** The SQLite bytes in a blob; `remote_password_mismatch` when the password does not open it. */
export async function decryptBackup(blob: Uint8Array, password: string): Promise<Buffer> {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes[MAGIC.length] !== VERSION) {
    throw new AppError('corrupt_backup', 'The backup on the server was not made by this app, or is damaged. Nothing was changed.');
  }
  const key = await deriveKey(password, bytes.subarray(MAGIC.length + 1, HEADER_BYTES));
  let compressed: Buffer;
  try {
    compressed = open(key, bytes.subarray(HEADER_BYTES), AAD);
  } catch (error) {
    if (error instanceof DecryptionError) throw new AppError('remote_password_mismatch', texts.remotePasswordMismatch());
    throw error;
  }
  try {
    return await inflateAsync(compressed);
  } catch {
    throw new AppError('corrupt_backup', 'The backup on the server could not be decompressed. Nothing was changed.');
  }
}

function stamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Replaces the user's database with `sqlite` after checking it: integrity,
 * the app's tables, and that the user's password opens it. The previous
 * database is kept in the user's `backups/` folder; the swap is one rename.
 * The pair in use on this device is written into the new database, so the
 * download never changes this device's premium credentials.
 * Returns the path of the kept copy.
 */
export async function replaceDatabase(
  user: OpenUser,
  sqlite: Uint8Array,
  keep: PremiumCredentials | null,
  nowMs: number,
): Promise<string> {
  const incoming = tempPath(user, 'download');
  try {
    writeFileSync(incoming, sqlite, { mode: 0o600 });
    let check: ReturnType<typeof openUserDb>;
    try {
      check = openUserDb(incoming);
    } catch (error) {
      throw new AppError('corrupt_backup', `The downloaded data is not a database of this app (${(error as Error).message}). Nothing was changed.`);
    }
    try {
      let problem: string | null;
      try {
        problem = checkIntegrity(check);
      } catch (error) {
        problem = (error as Error).message;
      }
      if (problem !== null) throw new AppError('corrupt_backup', `The downloaded database failed its check (${problem}). Nothing was changed.`);
      if ((await unlockDb(check, user.password)) === null) {
        throw new AppError('remote_password_mismatch', texts.remotePasswordMismatch());
      }
      // Leave a single file: no WAL beside the one that is swapped in.
      check.pragma('journal_mode = DELETE');
    } finally {
      check.close();
    }

    const dir = userDir(user.dataDir, user.name);
    const current = join(dir, USER_DB_FILE);
    mkdirSync(userBackupsDir(user.dataDir, user.name), { recursive: true, mode: 0o700 });
    const kept = join(userBackupsDir(user.dataDir, user.name), `user_db_${stamp(nowMs)}.backup`);
    user.db.pragma('wal_checkpoint(TRUNCATE)');
    user.db.close();
    try {
      copyFileSync(current, kept);
      renameSync(incoming, current);
      rmSync(`${current}-wal`, { force: true });
      rmSync(`${current}-shm`, { force: true });
    } finally {
      user.db = openUserDb(current);
    }
    const key = await unlockDb(user.db, user.password);
    if (key === null) throw new AppError('remote_password_mismatch', texts.remotePasswordMismatch());
    user.key = key;
    if (keep !== null) saveCredentials(user.db, key, keep, Math.floor(nowMs / 1000));
    return kept;
  } finally {
    rmSync(incoming, { force: true });
  }
}
