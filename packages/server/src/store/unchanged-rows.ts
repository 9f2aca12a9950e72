/**
 * Rows read on one SQLite connection, served again while the database is
 * unchanged. `PRAGMA data_version` on a connection changes whenever another
 * connection, in this process or any other, has committed since the last
 * time it was asked, and not for the connection's own commits. The signed
 * path's connection commits only replay records, which no cached row holds,
 * so a row served from here is what a read would return at the same moment:
 * a key regenerated, a subscription changed or an account suspended anywhere
 * empties the cache before the next request is answered.
 *
 * Only rows that were found are kept (a stranger trying made-up keys gets a
 * read every time, as before), at most `maxRows` of them.
 */
export class UnchangedRows<Row> {
  readonly #maxRows: number;
  readonly #rows = new Map<string, Row>();
  #version: number | null = null;

  constructor(maxRows: number) {
    this.#maxRows = maxRows;
  }

  /** The row kept for `key`, if the database's version is still the one it was read at; else empties the cache. */
  get(key: string, version: number): Row | undefined {
    if (version !== this.#version) {
      this.#rows.clear();
      this.#version = version;
      return undefined;
    }
    return this.#rows.get(key);
  }

  /** Keeps `row`, read at the version last passed to `get`. */
  set(key: string, row: Row): void {
    if (this.#rows.size < this.#maxRows || this.#rows.has(key)) this.#rows.set(key, row);
  }

  get size(): number {
    return this.#rows.size;
  }
}
