import { createHash } from 'node:crypto';

/** How a column's values are compared: PostgreSQL gives booleans and JSON back as such, SQLite as 0/1 and text. */
export type ColumnKind = 'boolean' | 'json' | 'plain';

const MODULUS = 1n << 256n;

/** JSON with object keys sorted: the same text for equal values, whatever the key order PostgreSQL's jsonb keeps. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The text a value counts as, equal on both databases for equal data: integers
 * as decimal (PostgreSQL's driver may give BIGINT as a string), booleans as 1/0,
 * JSON normalised, bytes as hex. Null is told apart from every text by having no length.
 */
export function canonicalValue(value: unknown, kind: ColumnKind): string | null {
  if (value === null || value === undefined) return null;
  if (kind === 'boolean') return value === true || value === 1 || value === 1n || value === '1' ? '1' : '0';
  if (kind === 'json') return stableJson(typeof value === 'string' ? JSON.parse(value) : value);
  if (value instanceof Uint8Array) return `x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return String(value.getTime());
  return stableJson(value);
}

/**
 * A table's row count and checksum. The checksum is the sum, modulo 2^256, of
 * each row's SHA-256 over its canonical values: independent of row order (the
 * two databases may return rows in different orders), and any changed, missing
 * or extra row changes it.
 */
export class TableChecksum {
  #sum = 0n;
  #rows = 0;
  readonly #kinds: readonly ColumnKind[];

  constructor(kinds: readonly ColumnKind[]) {
    this.#kinds = kinds;
  }

  add(row: readonly unknown[]): void {
    const hash = createHash('sha256');
    row.forEach((value, index) => {
      const text = canonicalValue(value, this.#kinds[index] ?? 'plain');
      // Length-prefixed, so that no two different rows frame to the same bytes.
      hash.update(text === null ? '-;' : `${Buffer.byteLength(text)}:${text};`);
    });
    this.#sum = (this.#sum + BigInt(`0x${hash.digest('hex')}`)) % MODULUS;
    this.#rows += 1;
  }

  get rows(): number {
    return this.#rows;
  }

  get digest(): string {
    return this.#sum.toString(16).padStart(64, '0');
  }
}
