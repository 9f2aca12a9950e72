import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, StoredChunk } from '../blob-store.ts';

/**
 * How a row names stored backup bytes: a `blob_ref` column, with the byte
 * count in `size` and, when the table has it, the SHA-256 in `sha256`. A
 * table with a `temp_ref` column holds unfinished uploads, whose bytes are
 * not moved (the app starts such an upload again).
 */
export const BLOB_COLUMNS = { ref: 'blob_ref', size: 'size', sha256: 'sha256', unfinished: 'temp_ref' } as const;

/** The upload chunk size: one part in memory at a time. */
const PART_BYTES = 10_000_000;

/** A blob copied into the other store: its reference there, and the upload to remove it with. */
export interface MovedBlob {
  ref: string;
  upload: string;
}

/**
 * Copies one sealed blob from one store into another as an upload of its own,
 * sealed there, and returns its reference in `to`. The byte count, and the
 * SHA-256 when given (base64 as stored, or hex), are checked before sealing.
 */
export async function moveBlob(from: BlobStore, to: BlobStore, ref: string, size: number, sha256: string | null): Promise<MovedBlob> {
  const source = await from.openBlob(ref, size);
  const tempRef = to.uploadRef(randomBytes(16).toString('base64url'));
  const hash = createHash('sha256');
  const chunks: StoredChunk[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = 0;
  const writePart = async () => {
    const data = Buffer.concat(pending, pendingBytes);
    const part = await to.writeChunk(tempRef, offset, data.length, Readable.from([data]));
    offset += data.length;
    chunks.push({ end: offset, part });
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const piece of source) {
      let rest = piece as Buffer;
      hash.update(rest);
      while (rest.length > 0) {
        const take = Math.min(rest.length, PART_BYTES - pendingBytes);
        pending.push(rest.subarray(0, take));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === PART_BYTES) await writePart();
      }
    }
    if (pendingBytes > 0 || chunks.length === 0) await writePart();
    if (offset !== size) throw new Error(`blob ${ref} holds ${offset} bytes, its row says ${size}`);
    const digest = hash.digest();
    if (sha256 !== null && sha256 !== digest.toString('base64') && sha256 !== digest.toString('hex')) {
      throw new Error(`blob ${ref} does not match the SHA-256 its row records`);
    }
    return { ref: await to.seal(tempRef, chunks), upload: tempRef };
  } catch (error) {
    source.destroy();
    await to.removeUpload(tempRef).catch(() => undefined);
    throw error;
  }
}
