import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';

export interface Snapshot {
  file: string;
  /** When the copy was taken: rows committed later are not in it. */
  takenAt: Date;
  bytes: number;
}

/** All remaining pages in one step: a server writing meanwhile cannot make the copy start over and over. */
const ALL_PAGES = 0x7fffffff;

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A consistent copy of a SQLite database that a server may be writing to, through
 * SQLite's online backup API (a read transaction: the server is never blocked, and
 * the copy holds exactly the transactions committed before it began, WAL included).
 * The copy is a single self-contained file (rollback journal, not WAL), checked
 * with `quick_check`, flushed to disk and then renamed into place, so `destination`
 * is either absent or complete. Refuses to overwrite an existing file.
 */
export async function snapshotSqlite(source: string, destination: string): Promise<Snapshot> {
  if (!existsSync(source)) throw new Error(`There is no SQLite database at ${source}`);
  if (existsSync(destination)) throw new Error(`${destination} exists already; name a new file`);
  const partial = `${destination}.partial-${process.pid}`;
  const db = new SQLite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const takenAt = new Date();
    await db.backup(partial, { progress: () => ALL_PAGES });
    const copy = new SQLite(partial);
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy of ${source} failed its integrity check: ${String(check)}`);
    } finally {
      copy.close();
    }
    fsyncPath(partial);
    renameSync(partial, destination);
    fsyncPath(dirname(destination));
    return { file: destination, takenAt, bytes: statSync(destination).size };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
