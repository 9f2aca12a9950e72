/**
 * The app's background work on a timer: one pass at a time (a pass still
 * running when the timer fires again is not doubled), failures only logged.
 * The timer never keeps the process alive.
 */
export class BackgroundLoop {
  readonly #pass: () => Promise<void>;
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(pass: () => Promise<void>, log: (line: string) => void) {
    this.#pass = pass;
    this.#log = log;
  }

  start(everyMs: number): void {
    this.stop();
    this.#timer = setInterval(() => {
      if (this.#running !== null) return;
      this.#running = this.#pass()
        .catch((error: unknown) => this.#log(`background task failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          this.#running = null;
        });
    }, everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Waits for a pass under way to end. */
  async idle(): Promise<void> {
    await this.#running;
  }
}
