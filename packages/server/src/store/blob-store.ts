import type { Readable } from 'node:stream';
import type { BackupStorageConfig } from '../config/backup-config.ts';

/**
 * Where backup bytes live: the data folder (default) or an S3-compatible
 * bucket. The database says which bytes are the account's backup; a store
 * only keeps bytes under the references it hands out.
 *
 * An upload is written chunk by chunk into a temporary object named by its
 * upload id (`uploadRef`). `seal` makes a complete upload durable as a blob
 * without copying it; the backup becomes current only when the database row
 * is switched to the blob's reference. Until then the previous blob is what
 * downloads. `removeUpload` removes an upload and the blob sealed from it.
 */
export interface BlobStore {
  readonly kind: BlobStoreKind;
  /** Where the bytes are, for logs and messages (no credentials). */
  readonly location: string;
  /** The temporary object of an upload; deterministic, so that data and rows can be matched after a crash. */
  uploadRef(uploadId: string): string;
  /**
   * Stores bytes [offset, offset + length) of an upload from `data` and
   * returns the name of the stored part (recorded with the chunk; '' when the
   * store needs none). `data` yields exactly `length` bytes or fails; then
   * this rejects with `data`'s error and the chunk counts as not received.
   * Rejects with `UploadGoneError` when the upload was removed meanwhile.
   * Each call writes a part of its own, so an interrupted or concurrent copy
   * of a chunk never overwrites the one that was recorded.
   */
  writeChunk(tempRef: string, offset: number, length: number, data: Readable, written?: WrittenCallback): Promise<string>;
  /** Stores that keep an upload in one local file: its path, so that it can be hashed behind the writer (`written`). */
  uploadPath?(tempRef: string): string;
  /** The upload's bytes in order, sealed or not, to hash them again. */
  readUpload(tempRef: string, chunks: StoredChunks): Promise<Readable>;
  /**
   * Makes a complete upload durable as a blob and returns the blob's reference.
   * Idempotent: sealing an already sealed upload returns the same reference.
   */
  seal(tempRef: string, chunks: StoredChunks): Promise<string>;
  /** Opens a blob for reading; rejects with `BlobMissingError` when its bytes are not all there. */
  openBlob(blobRef: string, size: number): Promise<Readable>;
  /** Removes what an upload holds, sealed or not. Idempotent. */
  removeUpload(tempRef: string): Promise<void>;
  close(): Promise<void>;
}

/** Told, as a chunk is written, the absolute offset up to which the upload file now holds it (stores with `uploadPath`). */
export type WrittenCallback = (offset: number) => void;

export type BlobStoreKind = 'file' | 's3';

/** A chunk as recorded: its exclusive end offset and the part `writeChunk` named. */
export interface StoredChunk {
  end: number;
  part: string;
}

/** An upload's chunks in order; the last end is the total size. */
export type StoredChunks = readonly StoredChunk[];

/** The upload's data was removed (replaced by a newer upload, or swept) while a chunk was being written. */
export class UploadGoneError extends Error {
  constructor(tempRef: string) {
    super(`upload data ${tempRef} no longer exists`);
    this.name = 'UploadGoneError';
  }
}

/** Stored bytes are missing or of the wrong size: the store lost data, or is not the one that wrote it. */
export class BlobMissingError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'BlobMissingError';
  }
}

/** Upload ids are opaque random base64url strings; refs derived from them stay plain path/key segments. */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertUploadId(uploadId: string): void {
  if (!UPLOAD_ID_PATTERN.test(uploadId)) throw new TypeError(`not an upload id: ${JSON.stringify(uploadId)}`);
}

/** Blocks read and written at once: fewer system calls than the 64 KiB stream default, still flat memory. */
export const IO_BLOCK_SIZE = 1024 * 1024;

/** The configured blob store. The S3 client is loaded only when the S3 store is used. */
export async function openBlobStore(config: BackupStorageConfig, s3SecretAccessKey: string | undefined): Promise<BlobStore> {
  if (config.blobStore === 'file' || config.s3 === null) {
    const { FileBlobStore } = await import('./blob-store-file.ts');
    return FileBlobStore.open(config.directory);
  }
  const { S3BlobStore } = await import('./blob-store-s3.ts');
  const { s3 } = config;
  const secret = s3SecretAccessKey ?? '';
  if ((s3.accessKeyId === '') !== (secret === '')) {
    throw new Error('Set both ROTKI_PREMIUM_S3_ACCESS_KEY_ID and ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY, or neither (default AWS credentials)');
  }
  return S3BlobStore.open({
    endpoint: s3.endpoint === '' ? undefined : s3.endpoint,
    bucket: s3.bucket,
    region: s3.region,
    credentials: s3.accessKeyId === '' ? undefined : { accessKeyId: s3.accessKeyId, secretAccessKey: secret },
    forcePathStyle: s3.forcePathStyle,
  });
}
