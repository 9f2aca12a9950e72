/**
 * The client's idea of server time, for nonces (PROTOCOL.md decision 2).
 *
 * A nonce is milliseconds since the epoch and must lie inside the server's
 * window. When the server refuses one as outside the window it sends its own
 * time; `adjustTo` then stores the offset so every later nonce is corrected.
 *
 * Nonces are also made strictly increasing per clock: the server accepts each
 * (key, nonce, signature) once, so two identical requests inside the same
 * millisecond would otherwise collide as a replay.
 */
export class ServerClock {
  readonly #localClock: () => number;
  #offsetMs = 0;
  #lastNonce = 0;

  constructor(localClock: () => number = Date.now) {
    this.#localClock = localClock;
  }

  /** Server time minus local time, as last measured; 0 until the server corrected us. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The estimated server time in milliseconds. */
  now(): number {
    return Math.floor(this.#localClock() + this.#offsetMs);
  }

  /** A fresh nonce: estimated server time, above every nonce this clock gave before. */
  nextNonce(): number {
    const nonce = Math.max(this.now(), this.#lastNonce + 1);
    this.#lastNonce = nonce;
    return nonce;
  }

  /** Takes the server's time (from `X-Server-Time-Ms`) as the truth from now on. */
  adjustTo(serverTimeMs: number): void {
    this.#offsetMs = serverTimeMs - this.#localClock();
    // Nonces issued before were refused as out of window; counting on from them would keep us there.
    this.#lastNonce = 0;
  }
}
