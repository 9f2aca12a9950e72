import type SQLite from 'better-sqlite3';

/** Kysely's own bookkeeping: a target gets its own by running the same migrations. */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

export interface TableInfo {
  name: string;
  /** In the table's column order. */
  columns: string[];
  /** The primary key's columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** The other tables this one has foreign keys to. */
  references: string[];
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Every application table of a SQLite database, read from the database itself
 * (so tables added by any migration are included), each after the tables it
 * references, so rows can be inserted in this order with foreign keys checked.
 */
export function listTables(db: SQLite.Database): TableInfo[] {
  const names = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .pluck()
    .all() as string[];
  const tables = names
    .filter((name) => !MIGRATOR_TABLES.has(name))
    .map((name): TableInfo => {
      const columns = db.pragma(`table_info(${quoteIdentifier(name)})`) as { name: string; pk: number }[];
      const keys = db.pragma(`foreign_key_list(${quoteIdentifier(name)})`) as { table: string }[];
      return {
        name,
        columns: columns.map((c) => c.name),
        primaryKey: columns
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        references: [...new Set(keys.map((k) => k.table).filter((table) => table !== name))].sort(),
      };
    });
  return orderByReferences(tables);
}

/**
 * Parents first (Kahn's algorithm, by name among tables that are ready, so the
 * order is the same on every run). A reference to a table outside the list is
 * ignored; a cycle is an error, since no insertion order would satisfy it.
 */
export function orderByReferences(tables: readonly TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const pending = new Map(tables.map((t) => [t.name, new Set(t.references.filter((r) => byName.has(r)))]));
  const ordered: TableInfo[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, waits]) => waits.size === 0).map(([name]) => name).sort();
    if (ready.length === 0) throw new Error(`foreign keys form a cycle among: ${[...pending.keys()].join(', ')}`);
    for (const name of ready) {
      pending.delete(name);
      for (const waits of pending.values()) waits.delete(name);
      ordered.push(byName.get(name) as TableInfo);
    }
  }
  return ordered;
}
