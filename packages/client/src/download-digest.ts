import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
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

/**
 * A download has the disk write what it has every this many bytes, unless
 * the previous flush is still running (a slow disk is not queued more), so
 * the flush before the rename has little left: 8 MiB left it 3-8 ms on a
 * 256 MiB download, 32 MiB 13-19 ms (docs/benchmarks.md).
 */
const WRITEBACK_EVERY = 8 * 1024 * 1024;

/** Writes a file's dirty pages to disk; never rejects (it only shortens the final flush, which reports any problem). */
async function writeback(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch {
    // The flush before the rename fails the download if the disk does.
  }
}

export interface DownloadProgress {
  bytesReceived: number;
  /** From Content-Length; null when the server did not say. */
  totalBytes: number | null;
}

/**
 * Appends blocks to a file in order, one `writev` at a time of whatever
 * came in while the previous one ran. `written` is how many bytes are in the
 * file; `onWritten` is told after each write.
 */
export class FileAppender {
  written = 0;
  readonly #handle: FileHandle;
  readonly #onWritten: (written: number) => void;
  #queue: { block: Buffer; done: () => void; failed: (error: Error) => void }[] = [];
  #busy = false;
  #error: Error | null = null;

  constructor(handle: FileHandle, onWritten: (written: number) => void) {
    this.#handle = handle;
    this.#onWritten = onWritten;
  }

  /** The write's error, if one failed. */
  get error(): Error | null {
    return this.#error;
  }

  /** Resolves once `block` is in the file (its buffer may then be reused). */
  append(block: Buffer): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    return new Promise((done, failed) => {
      this.#queue.push({ block, done, failed });
      if (!this.#busy) void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      try {
        let blocks = batch.map((entry) => entry.block);
        for (;;) {
          const { bytesWritten } = await this.#handle.writev(blocks, this.written);
          this.written += bytesWritten;
          blocks = rest(blocks, bytesWritten);
          if (blocks.length === 0) break;
        }
      } catch (error) {
        this.#error = error as Error;
        for (const entry of [...batch, ...this.#queue.splice(0)]) entry.failed(this.#error);
        break;
      }
      for (const entry of batch) entry.done();
      this.#onWritten(this.written);
    }
    this.#busy = false;
  }
}

/** What `writev` left of `blocks` after writing `count` bytes (a partial write). */
function rest(blocks: Buffer[], count: number): Buffer[] {
  let skip = count;
  const left: Buffer[] = [];
  for (const block of blocks) {
    if (skip >= block.length) skip -= block.length;
    else {
      left.push(skip === 0 ? block : block.subarray(skip));
      skip = 0;
    }
  }
  return left;
}

/**
 * Counts a download's bytes as they arrive and has them hashed: on this
 * thread when the download is small or of unknown size, else by a worker
 * reading the file behind its writer.
 */
export class DownloadDigest {
  bytes = 0;
  readonly #path: string;
  readonly #total: number | null;
  readonly #onProgress: ((progress: DownloadProgress) => void) | undefined;
  readonly #inline: Hash | null;
  readonly #trailing: TrailingFileHash | null;
  /** Where the last writeback started, and that writeback while it runs. */
  #flushedTo = 0;
  #flushing: Promise<void> | null = null;

  constructor(path: string, total: number | null, onProgress: ((progress: DownloadProgress) => void) | undefined) {
    this.#path = path;
    this.#total = total;
    this.#onProgress = onProgress;
    const large = total !== null && total >= TRAILING_HASH_FROM;
    this.#trailing = large ? new TrailingFileHash(path) : null;
    this.#inline = large ? null : createHash('sha256');
  }

  /** Called with each block received, before it is written. */
  received(block: Buffer): void {
    this.bytes += block.length;
    this.#inline?.update(block);
    this.#onProgress?.({ bytesReceived: this.bytes, totalBytes: this.#total });
  }

  /** The file's first `written` bytes are written: the worker may hash them, the disk may start on them. */
  written(written: number): void {
    this.#trailing?.written(written);
    if (this.#flushing !== null || written - this.#flushedTo < WRITEBACK_EVERY) return;
    this.#flushedTo = written;
    this.#flushing = writeback(this.#path).finally(() => {
      this.#flushing = null;
    });
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
