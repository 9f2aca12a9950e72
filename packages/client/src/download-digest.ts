import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/**
 * The worker: reads the file behind its writer into one reused 1 MiB buffer
 * and hashes it. `state[0]` is how many bytes the writer has written (the
 * worker never reads past it), `state[1]` the final size once known (-1
 * until then). It waits on `state[0]` when it has caught up.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const state = new BigInt64Array(workerData.shared);
let fd = -1;
const block = Buffer.allocUnsafe(1024 * 1024);
const hash = createHash('sha256');
let position = 0;
try {
  for (;;) {
    const written = Number(Atomics.load(state, 0));
    if (position < written) {
      if (fd < 0) fd = openSync(workerData.path, 'r');
      const read = readSync(fd, block, 0, Math.min(block.length, written - position), position);
      if (read === 0) throw new Error('the file is shorter than the bytes written to it');
      hash.update(block.subarray(0, read));
      position += read;
      continue;
    }
    const total = Number(Atomics.load(state, 1));
    if (total >= 0 && position >= total) break;
    Atomics.wait(state, 0, BigInt(written), 100);
  }
} finally {
  if (fd >= 0) closeSync(fd);
}
parentPort.postMessage(hash.digest('base64'));
`;

/** The writer tells the worker at most this often (in bytes) that there is more to read: one futex wake per step. */
const NOTIFY_STEP = 1024 * 1024;

/**
 * SHA-256 of a file that is being written, computed on a worker thread that
 * reads the file from the page cache behind the writer. The thread receiving
 * and writing the bytes does no hashing and hands nothing over but a
 * counter: no copy and no message per block (a worker fed the blocks
 * themselves cost more than it saved, see docs/benchmarks.md).
 */
export class TrailingFileHash {
  readonly #worker: Worker;
  readonly #state: BigInt64Array;
  readonly #digest: Promise<string>;
  #told = 0;

  /** The file at `path` is opened once the writer says it has written something. */
  constructor(path: string) {
    const shared = new SharedArrayBuffer(16);
    this.#state = new BigInt64Array(shared);
    this.#state[1] = -1n;
    // No loader flags (a TypeScript loader would cost more to start than the hashing saves).
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, shared }, execArgv: [] });
    // Rejects if the worker fails ('error' ends the wait for 'message').
    this.#digest = once(this.#worker, 'message').then(([digest]) => digest as string);
    // Observed by digest(); a worker ended by destroy() must not raise an unhandled rejection.
    this.#digest.catch(() => undefined);
  }

  /** The first `bytesWritten` bytes of the file are written: the worker may read them. */
  written(bytesWritten: number): void {
    if (bytesWritten - this.#told < NOTIFY_STEP) return;
    this.#told = bytesWritten;
    Atomics.store(this.#state, 0, BigInt(bytesWritten));
    Atomics.notify(this.#state, 0);
  }

  /** Standard base64 SHA-256 of the file's first `total` bytes, all written; ends the worker. */
  async digest(total: number): Promise<string> {
    try {
      Atomics.store(this.#state, 1, BigInt(total));
      Atomics.store(this.#state, 0, BigInt(total));
      Atomics.notify(this.#state, 0);
      return await this.#digest;
    } finally {
      await this.#worker.terminate();
    }
  }

  /** Ends the worker without a digest (a failed download). */
  async destroy(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Downloads at least this large are hashed by a `TrailingFileHash` (a worker costs a few milliseconds to start). */
export const TRAILING_HASH_FROM = 8 * 1024 * 1024;

/** A download asks the disk to start writing every this many bytes, so the final flush is short. */
const WRITEBACK_EVERY = 32 * 1024 * 1024;

/** Starts writing a file's dirty pages to disk without waiting; the flush before the rename then has little left. */
function startWriteback(path: string): void {
  void (async () => {
    const handle = await open(path, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  })().catch(() => undefined);
}

export interface DownloadProgress {
  bytesReceived: number;
  /** From Content-Length; null when the server did not say. */
  totalBytes: number | null;
}

/**
 * Counts a download's bytes as they arrive and has them hashed: on this
 * thread when the download is small or of unknown size, else by a worker
 * reading the file behind its writer.
 */
export class DownloadDigest {
  bytes = 0;
  readonly #path: string;
  readonly #file: WriteStream;
  readonly #total: number | null;
  readonly #onProgress: ((progress: DownloadProgress) => void) | undefined;
  readonly #inline: Hash | null;
  readonly #trailing: TrailingFileHash | null;

  constructor(path: string, file: WriteStream, total: number | null, onProgress: ((progress: DownloadProgress) => void) | undefined) {
    this.#path = path;
    this.#file = file;
    this.#total = total;
    this.#onProgress = onProgress;
    const large = total !== null && total >= TRAILING_HASH_FROM;
    this.#trailing = large ? new TrailingFileHash(path) : null;
    this.#inline = large ? null : createHash('sha256');
  }

  /** Called with each block received, before it is written. */
  received(block: Buffer): void {
    const before = this.bytes;
    this.bytes += block.length;
    if (this.#inline !== null) this.#inline.update(block);
    else this.#trailing?.written(this.#file.bytesWritten);
    if (Math.floor(before / WRITEBACK_EVERY) !== Math.floor(this.bytes / WRITEBACK_EVERY)) startWriteback(this.#path);
    this.#onProgress?.({ bytesReceived: this.bytes, totalBytes: this.#total });
  }

  /** Standard base64 SHA-256 of every byte received; call once the file is written and closed. */
  async digest(): Promise<string> {
    if (this.#inline !== null) return this.#inline.digest('base64');
    if (this.#trailing === null) throw new Error('internal error: no hash');
    return this.#trailing.digest(this.bytes);
  }

  /** Ends the worker, if any, without a digest. */
  async destroy(): Promise<void> {
    await this.#trailing?.destroy();
  }
}
