import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BlobStore } from '../blob-store.ts';
import { openStore } from '../database.ts';
import { migrateToLatest } from '../migrate.ts';
import type { Database } from '../schema.ts';
import { BLOB_COLUMNS, moveBlob } from './move-blob.ts';
import { snapshotSqlite } from './sqlite-snapshot.ts';
import { listTables, type TableInfo } from './sqlite-tables.ts';
import { TableChecksum, type ColumnKind } from './table-checksum.ts';

export interface CopyOptions {
  /** The SQLite database file; a server may be running on it. */
  source: string;
  /** `postgres://…` of an empty database. */
  target: string;
  /** Backup bytes to move from one store to the other (`--to-s3`); null: they stay where they are. */
  blobs: { from: BlobStore; to: BlobStore } | null;
  /** One line per step, for the operator. */
  progress?: (line: string) => void;
}

export interface TableCopy {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** Of the rows sent: the snapshot's, with the references of moved blobs. */
  expectedChecksum: string;
  targetChecksum: string;
  /** Why the table's rows were not copied; null when they were. */
  skipped: string | null;
  matches: boolean;
}

export interface CopyReport {
  snapshotAt: Date;
  tables: TableCopy[];
  blobsMoved: number;
  matches: boolean;
}

/** The target already has tables: a copy goes into a new, empty database only. */
export class TargetNotEmptyError extends Error {}

/** Rows per INSERT, within PostgreSQL's 65,535 parameters per statement. */
const MAX_PARAMETERS = 30_000;
const MAX_BATCH_ROWS = 1_000;
/** Rows per read when checksumming the target. */
const PAGE_ROWS = 5_000;

type Kinds = Map<string, Map<string, ColumnKind>>;

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function columnList(columns: readonly string[]): RawBuilder<unknown> {
  return sql.join(columns.map((c) => sql.ref(c)));
}

async function requireEmpty(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db);
  const n = rows[0]?.n ?? 0;
  if (n > 0) throw new TargetNotEmptyError(`the target database has ${n} tables already; copy into a new, empty database`);
}

/** Each target column's kind; checks that the target has every source table with the same columns. */
async function targetKinds(db: Kysely<Database>, tables: readonly TableInfo[]): Promise<Kinds> {
  const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`.execute(db);
  const kinds: Kinds = new Map();
  for (const row of rows) {
    const kind: ColumnKind = row.data_type === 'boolean' ? 'boolean' : row.data_type === 'json' || row.data_type === 'jsonb' ? 'json' : 'plain';
    if (!kinds.has(row.table_name)) kinds.set(row.table_name, new Map());
    kinds.get(row.table_name)?.set(row.column_name, kind);
  }
  for (const table of tables) {
    const columns = kinds.get(table.name);
    const target = [...(columns?.keys() ?? [])].sort().join(', ');
    if (target !== [...table.columns].sort().join(', ')) {
      throw new Error(`table ${table.name} differs: SQLite has (${table.columns.join(', ')}), PostgreSQL (${target || 'no such table'})`);
    }
  }
  return kinds;
}

function kindsOf(kinds: Kinds, table: TableInfo): ColumnKind[] {
  return table.columns.map((c) => kinds.get(table.name)?.get(c) ?? 'plain');
}

/** What a copy has put into the target store so far. */
interface MovedBlobs {
  /** The new reference, by table and old reference. */
  refs: Map<string, string>;
  /** The uploads they were sealed from: what removes them again. */
  uploads: string[];
}

/** Copies each current blob named by a `blob_ref` column into the other store, recording each in `moved` as it lands. */
async function moveBlobs(
  source: SQLite.Database,
  tables: readonly TableInfo[],
  blobs: NonNullable<CopyOptions['blobs']>,
  moved: MovedBlobs,
  progress: (line: string) => void,
): Promise<void> {
  for (const table of tables) {
    if (!table.columns.includes(BLOB_COLUMNS.ref) || table.columns.includes(BLOB_COLUMNS.unfinished)) continue;
    const hash = table.columns.includes(BLOB_COLUMNS.sha256) ? quoteIdentifier(BLOB_COLUMNS.sha256) : 'NULL';
    const rows = source
      .prepare(`SELECT ${quoteIdentifier(BLOB_COLUMNS.ref)} AS ref, ${quoteIdentifier(BLOB_COLUMNS.size)} AS size, ${hash} AS sha256 FROM ${quoteIdentifier(table.name)}`)
      .all() as { ref: string; size: number; sha256: string | null }[];
    for (const row of rows) {
      const copy = await moveBlob(blobs.from, blobs.to, row.ref, Number(row.size), row.sha256);
      moved.refs.set(`${table.name}\u0000${row.ref}`, copy.ref);
      moved.uploads.push(copy.upload);
    }
    progress(`moved ${rows.length} blobs of ${table.name} to ${blobs.to.location}`);
  }
}

/**
 * A copy that fails after backups went into the target store takes them out
 * again: its rows never committed, so nothing names them, and a second copy
 * would write new ones beside them.
 */
async function removeMoved(to: BlobStore, moved: MovedBlobs, progress: (line: string) => void): Promise<void> {
  if (moved.uploads.length === 0) return;
  try {
    for (const upload of moved.uploads) await to.removeUpload(upload);
    progress(`removed the ${moved.uploads.length} backups this copy had put into ${to.location}`);
  } catch (error) {
    progress(`could not remove the backups this copy had put into ${to.location}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The rows of every table in foreign-key order, in one transaction; returns the checksum of what was sent per table. */
async function insertAll(
  db: Kysely<Database>,
  source: SQLite.Database,
  tables: readonly TableInfo[],
  kinds: Kinds,
  moved: Map<string, string> | null,
  progress: (line: string) => void,
): Promise<Map<string, TableChecksum | string>> {
  return db.transaction().execute(async (trx) => {
    const sent = new Map<string, TableChecksum | string>();
    // The target's own migrations seeded defaults (the tiers); the copy replaces them.
    await sql`TRUNCATE ${sql.join(tables.map((t) => sql.table(t.name)))}`.execute(trx);
    for (const table of tables) {
      if (moved !== null && table.columns.includes(BLOB_COLUMNS.unfinished)) {
        sent.set(table.name, 'unfinished uploads: their bytes stay in the data folder, the app starts them again');
        continue;
      }
      const columnKinds = kindsOf(kinds, table);
      const refIndex = moved === null ? -1 : table.columns.indexOf(BLOB_COLUMNS.ref);
      const checksum = new TableChecksum(columnKinds);
      const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / table.columns.length)));
      const insert = (rows: unknown[][]) =>
        sql`INSERT INTO ${sql.table(table.name)} (${columnList(table.columns)}) VALUES ${sql.join(rows.map((r) => sql`(${sql.join(r)})`))}`.execute(trx);
      const select = source.prepare(`SELECT ${table.columns.map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(table.name)}`).raw(true);
      let batch: unknown[][] = [];
      for (const row of select.iterate() as Iterable<unknown[]>) {
        const values = row.map((value, i) => (columnKinds[i] === 'boolean' && value !== null ? Boolean(value) : value));
        if (refIndex >= 0) values[refIndex] = moved?.get(`${table.name}\u0000${String(values[refIndex])}`) ?? values[refIndex];
        checksum.add(values);
        batch.push(values);
        if (batch.length === batchRows) {
          await insert(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await insert(batch);
      sent.set(table.name, checksum);
      progress(`copied ${table.name}: ${checksum.rows} rows`);
    }
    // Explicit ids were inserted: each id sequence continues after the largest.
    const { rows: serials } = await sql<{ table_name: string; column_name: string; sequence: string | null }>`
      SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) AS sequence
      FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`.execute(trx);
    for (const serial of serials) {
      if (serial.sequence === null || !sent.has(serial.table_name)) continue;
      await sql`SELECT setval(${serial.sequence}, COALESCE((SELECT MAX(${sql.ref(serial.column_name)}) FROM ${sql.table(serial.table_name)}), 0) + 1, false)`.execute(trx);
    }
    return sent;
  });
}

/** Reads a target table back (by primary key pages, so memory stays flat) into a checksum. */
async function checksumTarget(db: Kysely<Database>, table: TableInfo, kinds: ColumnKind[]): Promise<TableChecksum> {
  const checksum = new TableChecksum(kinds);
  const key = table.primaryKey;
  let after: unknown[] | null = null;
  for (;;) {
    const where: RawBuilder<unknown> = after === null ? sql`` : sql`WHERE (${columnList(key)}) > (${sql.join(after)})`;
    const order: RawBuilder<unknown> = key.length === 0 ? sql`` : sql`ORDER BY ${columnList(key)} LIMIT ${sql.lit(PAGE_ROWS)}`;
    const { rows } = await sql<Record<string, unknown>>`SELECT ${columnList(table.columns)} FROM ${sql.table(table.name)} ${where} ${order}`.execute(db);
    for (const row of rows) checksum.add(table.columns.map((c) => row[c]));
    const last = rows.at(-1);
    if (key.length === 0 || rows.length < PAGE_ROWS || last === undefined) return checksum;
    after = key.map((c) => last[c]);
  }
}

/** Reads every table back from the target and compares it with what was sent and with the snapshot's row count. */
async function verify(
  db: Kysely<Database>,
  source: SQLite.Database,
  tables: readonly TableInfo[],
  kinds: Kinds,
  sent: Map<string, TableChecksum | string>,
): Promise<TableCopy[]> {
  const copies: TableCopy[] = [];
  for (const table of tables) {
    const expected = sent.get(table.name);
    const got = await checksumTarget(db, table, kindsOf(kinds, table));
    const sourceRows = source.prepare(`SELECT count(*) FROM ${quoteIdentifier(table.name)}`).pluck().get() as number;
    const skipped = typeof expected === 'string' ? expected : null;
    const sentRows = expected instanceof TableChecksum ? expected.rows : 0;
    const expectedChecksum = expected instanceof TableChecksum ? expected.digest : new TableChecksum([]).digest;
    copies.push({
      table: table.name,
      sourceRows,
      targetRows: got.rows,
      expectedChecksum,
      targetChecksum: got.digest,
      skipped,
      matches: got.rows === sentRows && got.digest === expectedChecksum && (skipped !== null || sentRows === sourceRows),
    });
  }
  return copies;
}

/**
 * Copies a SQLite installation into an empty PostgreSQL database: an online
 * snapshot first (the server may keep running), brought up to this build's
 * schema, then the target gets the same migrations, every table's rows in one
 * transaction in foreign-key order, and the id sequences moved past the copied
 * ids. Finally every table is read back and compared by row count and checksum.
 */
export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  const progress = options.progress ?? (() => undefined);
  const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-copy-'));
  const target = openStore({ databaseUrl: options.target, dataDir: scratch, poolSize: 2 });
  let source: SQLite.Database | null = null;
  try {
    await requireEmpty(target.db);
    const snapshot = await snapshotSqlite(options.source, join(scratch, 'snapshot.sqlite'));
    progress(`snapshot of ${options.source} taken (${snapshot.bytes} bytes)`);
    // Both sides get this build's schema: the snapshot is brought up to date, the target created.
    const upgraded = openStore({ databaseUrl: `sqlite:${snapshot.file}`, dataDir: scratch });
    try {
      await migrateToLatest(upgraded);
    } finally {
      await upgraded.destroy();
    }
    await migrateToLatest(target);
    source = new SQLite(snapshot.file, { readonly: true, fileMustExist: true });
    const tables = listTables(source);
    const kinds = await targetKinds(target.db, tables);
    const moved: MovedBlobs = { refs: new Map(), uploads: [] };
    let sent: Awaited<ReturnType<typeof insertAll>>;
    try {
      if (options.blobs !== null) await moveBlobs(source, tables, options.blobs, moved, progress);
      sent = await insertAll(target.db, source, tables, kinds, options.blobs === null ? null : moved.refs, progress);
    } catch (error) {
      if (options.blobs !== null) await removeMoved(options.blobs.to, moved, progress);
      throw error;
    }
    const copies = await verify(target.db, source, tables, kinds, sent);
    return { snapshotAt: snapshot.takenAt, tables: copies, blobsMoved: moved.refs.size, matches: copies.every((c) => c.matches) };
  } finally {
    source?.close();
    await target.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}
