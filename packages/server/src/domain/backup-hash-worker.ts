import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

/**
 * The worker: one per process, it holds the running SHA-256 of the uploads
 * whose chunks this process received (upload id → hash and bytes hashed) and
 * hashes each chunk by reading the upload file from the page cache behind its
 * writer. A chunk is a job with a shared counter (the absolute offset written
 * so far): no copy and no message per block. Commands come in order on `port`
 * (read synchronously between reads); the worker sleeps on `wake` when no job
 * has anything left to read.
 *
 * begin {job, id, path, start}: a chunk starts at `start`; its hash starts
 *   from the committed one (a copy) when that covers exactly `start` bytes,
 *   from nothing when `start` is 0, and is unknown otherwise.
 * end {job, end}: the chunk was stored and recorded: read the rest, commit.
 * abort {job}: the chunk failed; the committed hash stays as it was.
 * forget {id}, digest {request, id, bytes} → {request, digest | null}.
 */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { port } = workerData;
const wake = new Int32Array(workerData.wake);
const block = Buffer.allocUnsafe(1024 * 1024);
const committed = new Map();
const jobs = new Map();

function step(job, limit) {
  if (job.fd < 0) job.fd = openSync(job.path, 'r');
  const read = readSync(job.fd, block, 0, Math.min(block.length, limit - job.position), job.position);
  if (read === 0) throw new Error('the upload file is shorter than the bytes written to it');
  job.hash.update(block.subarray(0, read));
  job.position += read;
}

function close(key, job) {
  jobs.delete(key);
  if (job.fd >= 0) closeSync(job.fd);
}

function handle(m) {
  if (m.type === 'begin') {
    const base = committed.get(m.id);
    const hash = m.start === 0 ? createHash('sha256') : base !== undefined && base.bytes === m.start ? base.hash.copy() : null;
    jobs.set(m.job, { id: m.id, path: m.path, fd: -1, hash, position: m.start, written: new BigInt64Array(m.shared) });
  } else if (m.type === 'end') {
    const job = jobs.get(m.job);
    if (job === undefined) return;
    try {
      if (job.hash === null) throw new Error('no running hash');
      while (job.position < m.end) step(job, m.end);
      committed.set(job.id, { hash: job.hash, bytes: m.end });
    } catch {
      committed.delete(job.id);
    } finally {
      close(m.job, job);
    }
  } else if (m.type === 'abort') {
    const job = jobs.get(m.job);
    if (job !== undefined) close(m.job, job);
  } else if (m.type === 'forget') {
    committed.delete(m.id);
  } else if (m.type === 'digest') {
    const state = committed.get(m.id);
    const digest = state !== undefined && state.bytes === m.bytes ? state.hash.copy().digest('base64') : null;
    port.postMessage({ request: m.request, digest });
  }
}

for (;;) {
  const seen = Atomics.load(wake, 0);
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message);
  let progressed = false;
  for (const job of jobs.values()) {
    if (job.hash === null) continue;
    const written = Number(Atomics.load(job.written, 0));
    if (job.position >= written) continue;
    try {
      step(job, written);
    } catch {
      job.hash = null;
    }
    progressed = true;
  }
  if (!progressed) Atomics.wait(wake, 0, seen);
}
`;

/** The writer tells the worker at most this often (in bytes) that there is more to read: one futex wake per step. */
const NOTIFY_STEP = 1024 * 1024;

/** One chunk being hashed behind its writer. */
export class TrailingChunk {
  readonly #hashes: TrailingHashes;
  readonly #job: number;
  readonly #written: BigInt64Array;
  #told: number;

  constructor(hashes: TrailingHashes, job: number, written: BigInt64Array, start: number) {
    this.#hashes = hashes;
    this.#job = job;
    this.#written = written;
    this.#told = start;
  }

  /** The upload file holds the chunk's bytes up to `offset` (absolute): the worker may read them. */
  written(offset: number): void {
    if (offset - this.#told < NOTIFY_STEP) return;
    this.#told = offset;
    Atomics.store(this.#written, 0, BigInt(offset));
    this.#hashes.wake();
  }

  /** The chunk is stored and recorded up to `end`: its bytes join the upload's running hash. */
  end(id: string, end: number): void {
    this.#hashes.finished(this.#job, id);
    this.#hashes.send({ type: 'end', job: this.#job, end });
  }

  /** The chunk failed: the running hash stays where it was before it. */
  abort(): void {
    this.#hashes.finished(this.#job, null);
    this.#hashes.send({ type: 'abort', job: this.#job });
  }
}

/**
 * The running SHA-256 of uploads kept on a worker thread, so that the thread
 * receiving the bytes does not hash them. Only a shortcut, like the hashes it
 * replaces: when it has no digest (a worker that failed, a chunk it could not
 * read), completion hashes the stored bytes.
 */
export class TrailingHashes {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #wake = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, (digest: string | null) => void>();
  /** Chunks being hashed, and uploads whose running hash the worker holds: the worker ends when both are empty. */
  readonly #chunks = new Set<number>();
  readonly #held = new Set<string>();
  #next = 0;
  #dead = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    // No loader flags (a TypeScript loader would cost more to start than the hashing saves).
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, wake: this.#wake.buffer },
      transferList: [port2],
      execArgv: [],
    });
    this.#worker.unref();
    this.#port.unref();
    this.#port.on('message', (m: { request: number; digest: string | null }) => {
      this.#pending.get(m.request)?.(m.digest);
      this.#pending.delete(m.request);
    });
    const fail = (): void => {
      this.#dead = true;
      for (const resolve of this.#pending.values()) resolve(null);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', fail);
  }

  get alive(): boolean {
    return !this.#dead;
  }

  wake(): void {
    Atomics.add(this.#wake, 0, 1);
    Atomics.notify(this.#wake, 0);
  }

  send(message: Record<string, unknown>): void {
    if (this.#dead) return;
    this.#port.postMessage(message);
    this.wake();
  }

  /** A chunk of upload `id` starts at `start` in the file at `path`. */
  begin(id: string, path: string, start: number): TrailingChunk {
    const shared = new SharedArrayBuffer(8);
    const written = new BigInt64Array(shared);
    written[0] = BigInt(start);
    this.#next += 1;
    this.#chunks.add(this.#next);
    this.send({ type: 'begin', job: this.#next, id, path, start, shared });
    return new TrailingChunk(this, this.#next, written, start);
  }

  /** A chunk ended; `held`: the upload whose running hash it now is. */
  finished(job: number, held: string | null): void {
    this.#chunks.delete(job);
    if (held !== null) this.#held.add(held);
    this.#endIfIdle();
  }

  forget(id: string): void {
    this.#held.delete(id);
    this.send({ type: 'forget', id });
    this.#endIfIdle();
  }

  /** A thread per process only while there is something to hash (servers and tests create many). */
  #endIfIdle(): void {
    if (this.#chunks.size === 0 && this.#held.size === 0) void this.close();
  }

  /** Standard base64 SHA-256 of the upload's first `bytes` bytes, or null when the worker does not hold exactly that. */
  async digest(id: string, bytes: number): Promise<string | null> {
    if (this.#dead) return null;
    this.#next += 1;
    const request = this.#next;
    const answer = new Promise<string | null>((resolve) => this.#pending.set(request, resolve));
    this.send({ type: 'digest', request, id, bytes });
    return answer;
  }

  async close(): Promise<void> {
    this.#dead = true;
    await this.#worker.terminate();
  }
}
