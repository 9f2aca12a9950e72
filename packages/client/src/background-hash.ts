import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** The worker: SHA-256 of the blocks it is sent, acknowledged one by one; `null` asks for the digest. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (block) => {
  if (block === null) {
    parentPort.postMessage({ digest: hash.digest('base64') });
  } else {
    hash.update(new Uint8Array(block));
    parentPort.postMessage({ hashed: block.byteLength });
  }
});
`;

/**
 * SHA-256 computed on a worker thread, so that hashing a large download
 * overlaps with receiving and writing it instead of taking turns with them on
 * the event loop. Each block is copied once into a buffer handed over to the
 * worker. At most `maxQueuedBytes` wait for the worker: past that, `update`
 * resolves only when the worker has caught up, which slows the stream
 * feeding it (memory stays bounded whatever the file size).
 */
export class BackgroundHash {
  readonly #worker: Worker;
  readonly #maxQueuedBytes: number;
  #queued = 0;
  #failure: Error | null = null;
  #caughtUp: (() => void) | null = null;
  #digest: ((digest: string) => void) | null = null;

  constructor(maxQueuedBytes = 16 * 1024 * 1024) {
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.on('message', (message: { hashed?: number; digest?: string }) => {
      if (message.hashed !== undefined) {
        this.#queued -= message.hashed;
        if (this.#queued <= this.#maxQueuedBytes) this.#wake();
      } else if (message.digest !== undefined) {
        this.#digest?.(message.digest);
      }
    });
    this.#worker.on('error', (error) => {
      this.#failure = error;
      this.#wake();
    });
  }

  #wake(): void {
    const wake = this.#caughtUp;
    this.#caughtUp = null;
    wake?.();
  }

  /** Queues `block`; resolves at once unless too much is waiting for the worker already. */
  async update(block: Uint8Array): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    const copy = new Uint8Array(block.byteLength);
    copy.set(block);
    this.#queued += copy.byteLength;
    this.#worker.postMessage(copy.buffer, [copy.buffer]);
    if (this.#queued > this.#maxQueuedBytes) {
      await new Promise<void>((resolve) => (this.#caughtUp = resolve));
      if (this.#failure !== null) throw this.#failure;
    }
  }

  /** Standard base64 SHA-256 of every block given; ends the worker. */
  async digest(): Promise<string> {
    try {
      if (this.#failure !== null) throw this.#failure;
      const digest = new Promise<string>((resolve) => (this.#digest = resolve));
      const failed = once(this.#worker, 'error').then(([error]) => Promise.reject(error as Error));
      this.#worker.postMessage(null);
      return await Promise.race([digest, failed]);
    } finally {
      await this.#worker.terminate();
    }
  }

  /** Ends the worker without a digest (a failed download). */
  async destroy(): Promise<void> {
    await this.#worker.terminate();
  }
}
