import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  BlobMissingError,
  assertUploadId,
  type BlobStore,
  type StoredChunks,
} from './blob-store.ts';

export interface S3BlobStoreOptions {
  /** e.g. `http://127.0.0.1:9000`; omitted for AWS itself. */
  endpoint?: string | undefined;
  bucket: string;
  region: string;
  /** Omitted: the SDK's default chain (environment, instance role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** `bucket` in the path instead of the host name; most self-hosted S3-compatible servers need it. */
  forcePathStyle: boolean;
  /** Key prefix of every object this store writes. */
  keyPrefix?: string;
}

/** Offsets in keys are zero-padded so that keys sort in byte order. */
const OFFSET_DIGITS = 15;

interface SealedBlob {
  prefix: string;
  chunks: { end: number; part: string }[];
}

function isNotFound(error: unknown): boolean {
  return error instanceof NoSuchKey || (error as { name?: string } | null)?.name === 'NotFound';
}

/**
 * Backups in an S3-compatible bucket. S3 has no append, so each chunk is its
 * own object, `<prefix><upload id>/<first byte offset>-<random>`, written once
 * with a known length; the random suffix keeps an interrupted or concurrent
 * copy of a chunk (which some S3-compatible servers keep in part) from
 * replacing the recorded one. A sealed blob is the ordered list of those objects: sealing
 * checks they are all there with the right sizes and writes nothing, and the
 * database switch that follows is the commit. Reading streams the objects one
 * after the other.
 *
 * Checksums are sent only where the S3 API requires them, so that servers
 * which do not implement the newer flexible checksums interoperate.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3BlobStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint !== undefined && options.endpoint !== '') config.endpoint = options.endpoint;
    if (options.credentials !== undefined) config.credentials = options.credentials;
    this.#client = new S3Client(config);
    this.#bucket = options.bucket;
    this.#prefix = options.keyPrefix ?? 'backups/';
    this.location = `s3://${options.bucket}/${this.#prefix}${options.endpoint === undefined ? '' : ` at ${options.endpoint}`}`;
  }

  /** Creates the store and checks that the bucket answers, so a wrong endpoint or key fails at start-up. */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const store = new S3BlobStore(options);
    try {
      await store.#client.send(new HeadBucketCommand({ Bucket: store.#bucket }));
    } catch (error) {
      store.#client.destroy();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`The S3 bucket ${store.location} cannot be used: ${reason}`, { cause: error });
    }
    return store;
  }

  uploadRef(uploadId: string): string {
    assertUploadId(uploadId);
    return `${this.#prefix}${uploadId}/`;
  }

  #checkRef(tempRef: string): string {
    if (!tempRef.startsWith(this.#prefix) || !tempRef.endsWith('/')) {
      throw new TypeError(`not an upload reference of this store: ${JSON.stringify(tempRef)}`);
    }
    assertUploadId(tempRef.slice(this.#prefix.length, -1));
    return tempRef;
  }

  async writeChunk(tempRef: string, offset: number, length: number, data: Readable): Promise<string> {
    const part = `${String(offset).padStart(OFFSET_DIGITS, '0')}-${randomBytes(6).toString('hex')}`;
    const key = `${this.#checkRef(tempRef)}${part}`;
    // One chunk (at most 10,000,000 bytes) is held in memory so that the SDK can send it
    // again on a transient failure (a reset keep-alive connection, a 503 SlowDown): a
    // streamed body cannot be rewound, and the whole upload would fail with a 500.
    const body = await readChunk(data, length);
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: length }));
    // An upload removed while this chunk was in flight is detected by the caller's database update.
    return part;
  }

  async #listSizes(prefix: string): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) sizes.set(item.Key, item.Size ?? 0);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return sizes;
  }

  #parts(prefix: string, chunks: StoredChunks): { key: string; size: number }[] {
    let start = 0;
    return chunks.map((chunk) => {
      if (!/^\d+-[0-9a-f]+$/.test(chunk.part)) throw new TypeError(`not a part of this store: ${JSON.stringify(chunk.part)}`);
      const part = { key: `${prefix}${chunk.part}`, size: chunk.end - start };
      start = chunk.end;
      return part;
    });
  }

  /** Streams the parts one after the other; the first is requested before this resolves, so a missing blob fails early. */
  async #readParts(parts: { key: string; size: number }[]): Promise<Readable> {
    const fetchPart = async (part: { key: string; size: number }): Promise<Readable> => {
      let response;
      try {
        response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: part.key }));
      } catch (error) {
        if (isNotFound(error)) throw new BlobMissingError(`object ${part.key} is missing`);
        throw error;
      }
      const body = response.Body as Readable | undefined;
      if (body === undefined || response.ContentLength !== part.size) {
        body?.destroy();
        throw new BlobMissingError(`object ${part.key} holds ${response.ContentLength ?? 0} bytes, expected ${part.size}`);
      }
      return body;
    };
    const [first, ...rest] = parts;
    if (first === undefined) return Readable.from([]);
    const firstBody = await fetchPart(first);
    async function* bytes(): AsyncGenerator<Buffer> {
      let body: Readable | null = firstBody;
      try {
        yield* body as AsyncIterable<Buffer>;
        for (const part of rest) {
          body = await fetchPart(part);
          yield* body as AsyncIterable<Buffer>;
        }
      } finally {
        body?.destroy();
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  async readUpload(tempRef: string, chunks: StoredChunks): Promise<Readable> {
    return this.#readParts(this.#parts(this.#checkRef(tempRef), chunks));
  }

  async seal(tempRef: string, chunks: StoredChunks): Promise<string> {
    const prefix = this.#checkRef(tempRef);
    const stored = await this.#listSizes(prefix);
    for (const part of this.#parts(prefix, chunks)) {
      const size = stored.get(part.key);
      if (size !== part.size) {
        throw new BlobMissingError(
          size === undefined ? `object ${part.key} is missing` : `object ${part.key} holds ${size} bytes, expected ${part.size}`,
        );
      }
    }
    const sealed: SealedBlob = { prefix, chunks: chunks.map(({ end, part }) => ({ end, part })) };
    return JSON.stringify(sealed);
  }

  #parseBlobRef(blobRef: string): SealedBlob {
    const parsed = JSON.parse(blobRef) as Partial<SealedBlob>;
    const valid =
      typeof parsed.prefix === 'string' &&
      Array.isArray(parsed.chunks) &&
      parsed.chunks.every((c) => Number.isSafeInteger(c.end) && typeof c.part === 'string');
    if (!valid) throw new TypeError('not an S3 blob reference');
    return { prefix: this.#checkRef(parsed.prefix as string), chunks: parsed.chunks as SealedBlob['chunks'] };
  }

  async openBlob(blobRef: string, size: number): Promise<Readable> {
    const blob = this.#parseBlobRef(blobRef);
    if ((blob.chunks.at(-1)?.end ?? 0) !== size) throw new BlobMissingError(`blob ${blob.prefix} is not ${size} bytes long`);
    return this.#readParts(this.#parts(blob.prefix, blob.chunks));
  }

  async removeUpload(tempRef: string): Promise<void> {
    const prefix = this.#checkRef(tempRef);
    // Listing finds parts of interrupted chunks too, which no row mentions.
    const keys = [...(await this.#listSizes(prefix)).keys()];
    // One request per object: multi-object delete needs a checksum header that not every S3-compatible server takes.
    for (const key of keys) {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

/** Collects one chunk; the caller's stream has already refused a chunk longer or shorter than announced. */
async function readChunk(data: Readable, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of data) parts.push(piece as Buffer);
  return Buffer.concat(parts, length);
}
