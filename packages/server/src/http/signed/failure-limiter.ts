/**
 * Counts failed signature checks per API key and per client address in a
 * fixed window. Valid requests never touch it beyond one map lookup.
 *
 * The counts live in this process: with several instances each applies the
 * limit on its own (the limit slows guessing; it is not needed for correctness,
 * which the signature and the replay table provide).
 */
export class FailureLimiter {
  readonly #counts = new Map<string, { count: number; windowEndsAt: number }>();
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Seconds until `subject` may try again, or 0 when it is not blocked. */
  retryAfterSeconds(subject: string, nowMs: number): number {
    const entry = this.#counts.get(subject);
    if (entry === undefined || entry.windowEndsAt <= nowMs || entry.count < this.#limit) return 0;
    return Math.max(1, Math.ceil((entry.windowEndsAt - nowMs) / 1000));
  }

  /** Records a failure; true when this failure reaches the limit. */
  recordFailure(subject: string, nowMs: number): boolean {
    let entry = this.#counts.get(subject);
    if (entry === undefined || entry.windowEndsAt <= nowMs) {
      entry = { count: 0, windowEndsAt: nowMs + this.#windowMs };
      this.#counts.set(subject, entry);
    }
    entry.count += 1;
    if (this.#counts.size > 100_000) this.#evictExpired(nowMs);
    return entry.count === this.#limit;
  }

  #evictExpired(nowMs: number): void {
    for (const [subject, entry] of this.#counts) {
      if (entry.windowEndsAt <= nowMs) this.#counts.delete(subject);
    }
  }
}
