import type { ReplayNonceTable } from './schema.ts';

/**
 * Group commit of replay records. A signed request's (key, nonce, signature)
 * joins the current batch; the batch is written in one transaction a few
 * milliseconds later (or at once when full), and each request learns whether
 * its row was new only after that commit. While a batch commits, the next one
 * fills.
 *
 * Why a replay is still refused:
 * - within this process, a triple waiting in a batch or being committed is in
 *   `pending`, and a second copy is refused on sight; it leaves `pending` only
 *   once its row is committed, from when the primary key refuses it;
 * - across processes and instances, both copies reach the database and the
 *   primary key lets exactly one insert through (`on conflict do nothing`
 *   returns only the rows it inserted);
 * - a request is accepted, and its handler runs, only after its row is
 *   committed (on PostgreSQL with `synchronous_commit` on; on SQLite in WAL,
 *   committed rows survive a crash of the process). A crash loses only rows
 *   whose requests were never answered, and never served: a replay of such a
 *   request is a first acceptance, not a second one.
 * - a failed commit refuses its whole batch (a server error); nothing in it
 *   was accepted.
 */
/**
 * When a replay record is committed: with its batch, a few milliseconds after
 * the batch's first row (`batched`), or at once (`now`), for requests whose
 * wait would be felt: a backup chunk's body is read only once its signature
 * is accepted, and a transfer of megabytes gains nothing from sharing a
 * commit.
 */
export type ReplayCommit = 'batched' | 'now';

/**
 * What a commit says of one row: whether it was new, and, where the store
 * reads it in the same statement (PostgreSQL), what it read about the row's
 * key (`current`): what the request is then judged on.
 */
export interface ReplayVerdict<C> {
  inserted: boolean;
  current?: C;
}

export class ReplayBatcher<C = never> {
  readonly #insert: (rows: readonly ReplayNonceTable[]) => Promise<ReplayVerdict<C>[]>;
  readonly #delayMs: number;
  readonly #maxRows: number;
  readonly #pending = new Set<string>();
  #queue: Waiting<C>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #committing: Promise<void> | null = null;
  #closed = false;

  constructor(insert: (rows: readonly ReplayNonceTable[]) => Promise<ReplayVerdict<C>[]>, options: { delayMs: number; maxRows: number }) {
    this.#insert = insert;
    this.#delayMs = options.delayMs;
    this.#maxRows = options.maxRows;
  }

  /**
   * True when the row was recorded now; false when it was recorded (or is
   * being recorded) already: a replay. `'now'` commits the batch at once
   * instead of on its timer (or right after the commit under way).
   */
  async accept(row: ReplayNonceTable, commit: ReplayCommit = 'batched'): Promise<boolean> {
    return (await this.decide(row, commit)).inserted;
  }

  /** As `accept`, with what the commit read about the row's key (nothing for a replay refused on sight). */
  decide(row: ReplayNonceTable, commit: ReplayCommit = 'batched'): Promise<ReplayVerdict<C>> {
    if (this.#closed) return Promise.reject(new Error('The replay records are closed'));
    const id = `${row.api_key}\n${row.nonce}\n${row.signature}`;
    if (this.#pending.has(id)) return Promise.resolve({ inserted: false });
    this.#pending.add(id);
    return new Promise<ReplayVerdict<C>>((resolve, reject) => {
      this.#queue.push({ row, id, resolve, reject });
      this.#schedule(commit);
    });
  }

  /** Rows waiting or being committed: for tests and metrics. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Commits what is waiting, then refuses new rows. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#committing !== null || this.#queue.length > 0) {
      if (this.#committing === null) this.#commitNext();
      await this.#committing;
    }
  }

  #schedule(commit: ReplayCommit): void {
    if (this.#committing !== null) return; // the batch after the one committing starts when it ends
    if (commit === 'now' || this.#queue.length >= this.#maxRows) {
      this.#commitNext();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#commitNext(), this.#delayMs);
    }
  }

  #commitNext(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#queue.splice(0, this.#maxRows);
    if (batch.length === 0) return;
    this.#committing = this.#commit(batch).finally(() => {
      this.#committing = null;
      // Rows that arrived during the commit have waited already: they go at once.
      if (this.#queue.length > 0) this.#commitNext();
    });
  }

  async #commit(batch: Waiting<C>[]): Promise<void> {
    try {
      const verdicts = await this.#insert(batch.map((w) => w.row));
      batch.forEach((w, i) => w.resolve(verdicts[i] ?? { inserted: false }));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      // Committed rows are refused by the primary key from now on; failed ones were never accepted.
      for (const w of batch) this.#pending.delete(w.id);
    }
  }
}

interface Waiting<C> {
  row: ReplayNonceTable;
  id: string;
  resolve: (verdict: ReplayVerdict<C>) => void;
  reject: (error: unknown) => void;
}
