import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data folder holds password hashes, e-mail addresses, the encrypted API
 * secrets and the master key: readable by the server's user only (issue 8).
 * Folders are 0700 and files 0600, also when an older version made them wider.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Creates `file` empty with mode 0600 when missing and narrows an existing one
 * (with SQLite's `-wal` and `-shm` beside it, which SQLite creates with the
 * database file's mode).
 */
export function ensurePrivateDatabaseFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}
