import { createHash, type Hash } from 'node:crypto';
import type { WrittenCallback } from '../store/blob-store.ts';
import { TrailingHashes, type TrailingChunk } from './backup-hash-worker.ts';
import type { Backups } from './backups.ts';

/**
 * The running SHA-256 of the uploads this process receives (`b.hashes`), so
 * that completion need not read an upload back. Uploads of at least
 * `TRAILING_HASH_FROM` bytes on a store that keeps them in a local file are
 * hashed by a worker thread reading the file behind its writer; smaller ones,
 * and every upload on other stores, as the bytes pass.
 */

/** A worker is worth its messages from this size on (one chunk of the rotki app is 10 MB). */
export const TRAILING_HASH_FROM = 8 * 1024 * 1024;

function trailingHashes(b: Backups): TrailingHashes {
  if (b.trailing?.alive !== true) b.trailing = new TrailingHashes();
  return b.trailing;
}

/** How one chunk's bytes are hashed: by `meter` as they pass, or by `trailing` behind the file writer; neither when the running hash is unknown. */
export interface ChunkHash {
  meter: Hash | null;
  trailing: TrailingChunk | null;
  /** For the store's `writeChunk`. */
  written: WrittenCallback | undefined;
}

const NO_HASH: ChunkHash = { meter: null, trailing: null, written: undefined };

/** Starts hashing a chunk of upload `id` from `start`: from nothing on the first chunk, else from the running hash when it covers exactly `start` bytes. */
export function beginChunkHash(b: Backups, id: string, tempRef: string, start: number, totalSize: number): ChunkHash {
  const running = b.hashes.get(id);
  if (start !== 0 && running?.bytes !== start) return NO_HASH;
  const path = b.blobs.uploadPath?.(tempRef);
  const onWorker = start === 0 ? path !== undefined && totalSize >= TRAILING_HASH_FROM : running?.hash === null;
  if (onWorker && path !== undefined) {
    const trailing = trailingHashes(b).begin(id, path, start);
    return { meter: null, trailing, written: (offset) => trailing.written(offset) };
  }
  const meter = start === 0 ? createHash('sha256') : (running?.hash?.copy() ?? null);
  return { meter, trailing: null, written: undefined };
}

/** The chunk was stored and recorded up to `end`: its hash becomes the upload's running hash. */
export function commitChunkHash(b: Backups, id: string, chunk: ChunkHash, end: number, now: number): void {
  if (chunk.trailing !== null) {
    chunk.trailing.end(id, end);
    b.hashes.set(id, { hash: null, bytes: end, touchedAt: now });
  } else if (chunk.meter !== null) {
    b.hashes.set(id, { hash: chunk.meter, bytes: end, touchedAt: now });
  } else {
    forgetHash(b, id);
  }
}

/** The chunk was not recorded: the running hash stays as it was before it. */
export function abortChunkHash(chunk: ChunkHash): void {
  chunk.trailing?.abort();
}

/** Standard base64 SHA-256 of the upload's first `bytes` bytes, or null when this process does not hold it. */
export async function runningDigest(b: Backups, id: string, bytes: number): Promise<string | null> {
  const state = b.hashes.get(id);
  if (state?.bytes !== bytes) return null;
  if (state.hash !== null) return state.hash.copy().digest('base64');
  return b.trailing === undefined ? null : b.trailing.digest(id, bytes);
}

export function forgetHash(b: Backups, id: string): void {
  const state = b.hashes.get(id);
  if (state === undefined) return;
  b.hashes.delete(id);
  if (state.hash === null) b.trailing?.forget(id);
}
