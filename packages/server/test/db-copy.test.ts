import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { listTables, orderByReferences, type TableInfo } from '../src/store/copy/sqlite-tables.ts';
import { canonicalValue, TableChecksum } from '../src/store/copy/table-checksum.ts';

function table(name: string, references: string[] = []): TableInfo {
  return { name, columns: ['id'], primaryKey: ['id'], references };
}

describe('the order tables are copied in', () => {
  it('puts every table after the tables it references, the same way on every run', () => {
    const ordered = orderByReferences([
      table('devices', ['accounts']),
      table('subscriptions', ['accounts', 'tiers']),
      table('tiers'),
      table('accounts'),
      table('invoices', ['subscriptions', 'accounts']),
    ]).map((t) => t.name);
    expect(ordered).toEqual(['accounts', 'tiers', 'devices', 'subscriptions', 'invoices']);
  });

  it('ignores a reference to a table it does not copy, and refuses a cycle', () => {
    expect(orderByReferences([table('a', ['outside'])]).map((t) => t.name)).toEqual(['a']);
    expect(() => orderByReferences([table('a', ['b']), table('b', ['a']), table('c')])).toThrow(/cycle among: a, b/);
  });

  it('reads tables, columns, primary keys and foreign keys from the database, without the migrator’s tables', () => {
    const db = new SQLite(':memory:');
    db.exec(`
      CREATE TABLE kysely_migration (name TEXT PRIMARY KEY);
      CREATE TABLE child (account_id INTEGER REFERENCES parent(id), name TEXT, PRIMARY KEY (name, account_id));
      CREATE TABLE parent (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
      CREATE TABLE "odd ""name""" (x TEXT);
    `);
    expect(listTables(db)).toEqual([
      { name: 'odd "name"', columns: ['x'], primaryKey: [], references: [] },
      { name: 'parent', columns: ['id', 'parent_id'], primaryKey: ['id'], references: [] },
      { name: 'child', columns: ['account_id', 'name'], primaryKey: ['name', 'account_id'], references: ['parent'] },
    ]);
    db.close();
  });
});

describe('the per-table checksum', () => {
  const digest = (rows: unknown[][], kinds: ('plain' | 'boolean' | 'json')[] = ['plain', 'plain']) => {
    const checksum = new TableChecksum(kinds);
    for (const row of rows) checksum.add(row);
    return checksum.digest;
  };

  it('does not depend on the order the database returns rows in', () => {
    expect(digest([[1, 'a'], [2, 'b'], [3, null]])).toBe(digest([[3, null], [1, 'a'], [2, 'b']]));
  });

  it('changes with any changed, missing or extra row', () => {
    const base = digest([[1, 'a'], [2, 'b']]);
    expect(digest([[1, 'a'], [2, 'c']])).not.toBe(base);
    expect(digest([[1, 'a']])).not.toBe(base);
    expect(digest([[1, 'a'], [2, 'b'], [2, 'b']])).not.toBe(base);
    expect(digest([[1, 'ab'], [2, '']])).not.toBe(digest([[1, 'a'], [2, 'b']]));
    expect(digest([[1, null]])).not.toBe(digest([[1, '']]));
    expect(digest([[12, '3']])).not.toBe(digest([[1, '23']]));
  });

  it('counts the same data as equal whatever type each driver gives it', () => {
    // SQLite keeps booleans as 0/1 and JSON as text; PostgreSQL's driver gives booleans, objects, and BIGINT as a string.
    expect(digest([[1, true]], ['plain', 'boolean'])).toBe(digest([[1, 1]], ['plain', 'boolean']));
    expect(digest([['1796176830353', '{"b":1,"a":[1,{"y":2,"x":3}]}']], ['plain', 'json'])).toBe(
      digest([[1796176830353, { a: [1, { x: 3, y: 2 }], b: 1 }]], ['plain', 'json']),
    );
    expect(canonicalValue(Buffer.from([0, 255]), 'plain')).toBe(canonicalValue(new Uint8Array([0, 255]), 'plain'));
  });
});
