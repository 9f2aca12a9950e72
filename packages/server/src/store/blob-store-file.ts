import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BlobMissingError,
  IO_BLOCK_SIZE,
  UploadGoneError,
  assertUploadId,
  type BlobStore,
  type StoredChunks,
  type WrittenCallback,
} from './blob-store.ts';
import { writeStream } from './blob-store-file-writer.ts';

const UPLOADS = 'uploads';
const BLOBS = 'blobs';
const REF_PATTERN = /^(uploads|blobs)\/([A-Za-z0-9_-]{1,64})$/;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * Backups as files under one folder (default `<data>/backups`):
 * `uploads/<id>` while chunks arrive, `blobs/<id>` once sealed. Sealing is
 * fsync of the file, rename into `blobs/`, fsync of the folder: after a crash
 * a file is either a complete sealed blob or an upload the sweep removes.
 */
export class FileBlobStore implements BlobStore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly #root: string;

  private constructor(root: string) {
    this.#root = root;
    this.location = root;
  }

  static async open(root: string): Promise<FileBlobStore> {
    await mkdir(join(root, UPLOADS), { recursive: true, mode: 0o700 });
    await mkdir(join(root, BLOBS), { recursive: true, mode: 0o700 });
    return new FileBlobStore(root);
  }

  uploadRef(uploadId: string): string {
    assertUploadId(uploadId);
    return `${UPLOADS}/${uploadId}`;
  }

  #paths(ref: string): { upload: string; blob: string; ref: string } {
    const match = REF_PATTERN.exec(ref);
    if (match?.[2] === undefined) throw new TypeError(`not a file blob reference: ${JSON.stringify(ref)}`);
    const id = match[2];
    return { upload: join(this.#root, UPLOADS, id), blob: join(this.#root, BLOBS, id), ref: `${BLOBS}/${id}` };
  }

  uploadPath(tempRef: string): string {
    return this.#paths(tempRef).upload;
  }

  async writeChunk(tempRef: string, offset: number, _length: number, data: Readable, written?: WrittenCallback): Promise<string> {
    const { upload } = this.#paths(tempRef);
    // The first chunk creates the file; later ones must find it, or the upload was removed meanwhile.
    const opening = open(upload, offset === 0 ? 'w' : 'r+', 0o600);
    try {
      await writeStream(opening, offset, data, written);
    } catch (error) {
      await (await opening.catch(() => null))?.close().catch(() => undefined);
      if (isMissing(error)) throw new UploadGoneError(tempRef);
      throw error;
    }
    startWriteback(await opening);
    // One file: a copy of a chunk writes the same bytes at the same place, so parts need no name.
    return '';
  }

  async readUpload(tempRef: string, chunks: StoredChunks): Promise<Readable> {
    const { upload, blob } = this.#paths(tempRef);
    const size = chunks.at(-1)?.end ?? 0;
    // Opened at once: a concurrent seal may rename the file, the open handle keeps reading it.
    for (const path of [upload, blob]) {
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if (isMissing(error)) continue;
        throw error;
      }
      const info = await handle.stat();
      if (info.size < size) {
        await handle.close();
        throw new BlobMissingError(`${path} holds ${info.size} of ${size} bytes`);
      }
      return handle.createReadStream({ start: 0, end: size - 1, highWaterMark: IO_BLOCK_SIZE, autoClose: true });
    }
    throw new UploadGoneError(tempRef);
  }

  async seal(tempRef: string, chunks: StoredChunks): Promise<string> {
    const { upload, blob, ref } = this.#paths(tempRef);
    const size = chunks.at(-1)?.end ?? 0;
    let handle;
    try {
      handle = await open(upload, 'r+');
    } catch (error) {
      if (!isMissing(error)) throw error;
      // Sealed before (a re-sent last chunk, or a retry after a crash).
      const info = await stat(blob).catch((e: unknown) => {
        if (isMissing(e)) throw new UploadGoneError(tempRef);
        throw e;
      });
      if (info.size !== size) throw new BlobMissingError(`${blob} holds ${info.size} bytes, expected ${size}`);
      return ref;
    }
    try {
      const info = await handle.stat();
      if (info.size < size) throw new BlobMissingError(`${upload} holds ${info.size} of ${size} bytes`);
      // A longer file can only hold bytes of an interrupted chunk past the end.
      if (info.size > size) await handle.truncate(size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(upload, blob);
    await syncDirectory(join(this.#root, BLOBS));
    return ref;
  }

  async openBlob(blobRef: string, size: number): Promise<Readable> {
    const { blob } = this.#paths(blobRef);
    let handle;
    try {
      handle = await open(blob, 'r');
    } catch (error) {
      if (isMissing(error)) throw new BlobMissingError(`${blob} is missing`);
      throw error;
    }
    const info = await handle.stat();
    if (info.size !== size) {
      await handle.close();
      throw new BlobMissingError(`${blob} holds ${info.size} bytes, expected ${size}`);
    }
    // The open handle keeps the bytes readable even if a newer backup replaces this one meanwhile.
    return handle.createReadStream({ highWaterMark: IO_BLOCK_SIZE, autoClose: true });
  }

  async removeUpload(tempRef: string): Promise<void> {
    const { upload, blob } = this.#paths(tempRef);
    await rm(upload, { force: true });
    await rm(blob, { force: true });
  }

  async close(): Promise<void> {}
}

/**
 * Starts writing a file's dirty pages to disk without waiting for it, then
 * closes the handle: the disk works while the next chunk arrives, and the
 * fsync at sealing has little left to do. Failures do not matter here;
 * sealing fsyncs anyway.
 */
export function startWriteback(handle: FileHandle): void {
  void (async () => {
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  })().catch(() => undefined);
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
