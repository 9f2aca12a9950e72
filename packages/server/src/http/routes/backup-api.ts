import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BACKUP_DIGEST_HEADER, BackupErrorCode, ENDPOINTS, SuccessResponse, UploadStartedResponse, messages } from '@rotki-premium/protocol';
import { z } from 'zod';
import { assertWithinQuota } from '../../domain/backup-checks.ts';
import { receiveChunk } from '../../domain/backup-chunks.ts';
import { openBackup } from '../../domain/backup-current.ts';
import { BackupError, type Backups, type ChunkInput, type Uploader } from '../../domain/backups.ts';
import { userAgentOf, type BackupAuthor } from '../../domain/backup-history.ts';
import { findDeviceNaming } from '../../domain/devices.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';
import type { Subscriber } from '../signed/authenticate.ts';
import { PREMIUM_BODY_LIMIT } from '../body-limits.ts';
import { contentResponse, premiumRoute } from '../openapi/route-schema.ts';
import { NonceQuery } from './premium-api.ts';

/** Logged (info) for every refused chunk, with its status and code. */
export const BACKUP_CHUNK_REFUSED = 'backup chunk refused';

/** Room for the text fields and part headers next to a chunk, inside the request body limit. */
export const MAX_CHUNK_BYTES = PREMIUM_BODY_LIMIT - 64 * 1024;

/** The text fields of `backup/range`, in wire order (PROTOCOL.md §4.5); our client adds `base_hash` (issue 9) and `device_identifier` (decision 7). */
const TEXT_FIELDS: ReadonlySet<string> = new Set([
  'file_hash',
  'last_modify_ts',
  'compression',
  'total_size',
  'upload_id',
  'base_hash',
  'device_identifier',
  'nonce',
]);

const FILE_HASH = /^[A-Za-z0-9+/]{43}=$/;
const WHOLE_NUMBER = /^\d{1,16}$/;

/** Digits that name a whole number JavaScript holds exactly (9999999999999999 would become 10000000000000000). */
function isSafeWhole(text: string): boolean {
  return WHOLE_NUMBER.test(text) && Number.isSafeInteger(Number(text));
}
const COMPRESSION = /^[A-Za-z0-9_.-]{1,32}$/;
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CONTENT_RANGE = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/;

function invalid(message: string): BackupError {
  return new BackupError(400, BackupErrorCode.InvalidChunk, message);
}

function uploaderOf(subscriber: Subscriber): Uploader {
  return {
    accountId: subscriber.accountId,
    tierName: subscriber.tier.name,
    maxBackupSizeMb: subscriber.tier.maxBackupSizeMb,
    backupVersions: subscriber.tier.backupVersions,
  };
}

/** The signed text fields, checked one by one, with a message that says what to send instead. */
function parseFields(fields: readonly [string, string][]): Omit<ChunkInput, 'start' | 'end'> {
  const values = new Map<string, string>();
  for (const [name, value] of fields) {
    if (!TEXT_FIELDS.has(name)) throw invalid(messages.backupUnexpectedField(name));
    if (values.has(name)) throw invalid(messages.backupBadField(name, 'it appears more than once'));
    values.set(name, value);
  }
  const required = (name: string): string => {
    const value = values.get(name);
    if (value === undefined) throw invalid(messages.backupBadField(name, 'the field is missing'));
    return value;
  };
  const fileHash = required('file_hash');
  if (!FILE_HASH.test(fileHash)) {
    throw invalid(messages.backupBadField('file_hash', 'expected the standard base64 SHA-256 of the whole file (44 characters)'));
  }
  const lastModifyTs = required('last_modify_ts');
  if (!isSafeWhole(lastModifyTs)) throw invalid(messages.backupBadField('last_modify_ts', 'expected Unix seconds'));
  const compression = required('compression');
  if (!COMPRESSION.test(compression)) throw invalid(messages.backupBadField('compression', 'expected a name such as zlib'));
  const totalSize = required('total_size');
  if (!isSafeWhole(totalSize) || Number(totalSize) <= 0) {
    throw invalid(messages.backupBadField('total_size', `expected the file size in bytes, a whole number above 0, got "${totalSize.slice(0, 32)}"`));
  }
  const uploadId = values.get('upload_id') ?? null;
  if (uploadId !== null && !UPLOAD_ID.test(uploadId)) {
    throw new BackupError(400, BackupErrorCode.UnknownUpload, messages.backupUnknownUpload());
  }
  const baseHash = values.get('base_hash');
  if (baseHash !== undefined && baseHash !== '' && !FILE_HASH.test(baseHash)) {
    throw invalid(messages.backupBadField('base_hash', 'expected the data_hash your data was last synced from, or empty for none'));
  }
  return {
    uploadId,
    fileHash,
    lastModifyTs: Number(lastModifyTs),
    compression,
    totalSize: Number(totalSize),
    ...(baseHash === undefined ? {} : { baseHash }),
  };
}

function parseContentRange(header: string | string[] | undefined, totalSize: number): { start: number; end: number } {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text === '') throw invalid(messages.backupBadContentRange('the header is missing'));
  const match = CONTENT_RANGE.exec(text.trim());
  if (match === null) throw invalid(messages.backupBadContentRange(`"${text.slice(0, 64)}" is not of that form`));
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![start, end, total].every(Number.isSafeInteger)) throw invalid(messages.backupBadContentRange('a number is too large'));
  if (total !== totalSize) throw invalid(messages.backupBadContentRange(`its total ${total} differs from total_size ${totalSize}`));
  if (start > end) throw invalid(messages.backupBadContentRange(`the first byte ${start} is after the last byte ${end}`));
  if (end >= total) throw invalid(messages.backupBadContentRange(`the last byte ${end} is beyond the end of a ${total}-byte file`));
  if (end - start + 1 > MAX_CHUNK_BYTES) {
    throw invalid(messages.backupBadContentRange(`a chunk may hold at most ${MAX_CHUNK_BYTES} bytes, this one announces ${end - start + 1}`));
  }
  return { start, end };
}

/** Reads and drops what is left of a part, so the client gets to read our answer after sending its body. */
async function drain(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  stream.resume();
  await finished(stream).catch(() => undefined);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function answerOf(error: BackupError): Answer {
  return { status: error.status, body: { error: error.message, code: error.code, ...error.detail } };
}

/** The upload as documented: the signed text parts in wire order, then the file part (parsed by hand above, as it streams). */
const UploadChunkParts = z.object({
  file_hash: z.string().regex(FILE_HASH).describe('Standard base64 SHA-256 of the whole file'),
  last_modify_ts: z.string().regex(WHOLE_NUMBER).describe('Unix seconds'),
  compression: z.string().regex(COMPRESSION),
  total_size: z.string().regex(WHOLE_NUMBER).describe('The whole file\'s size in bytes'),
  upload_id: z.string().regex(UPLOAD_ID).optional().describe('From the answer to the first chunk; absent on the first'),
  device_identifier: z.string().optional().describe('The calling device (this project\'s client)'),
  nonce: z.string().regex(WHOLE_NUMBER),
  chunk_data: z.string().meta({ format: 'binary' }).describe(`Up to ${MAX_CHUNK_BYTES} bytes; not signed`),
});

const UPLOAD_DOC = premiumRoute({
  summary: 'Upload one chunk of the encrypted backup (Content-Range: bytes first-last/total)',
  description: 'A multipart body: the text parts are signed (sign method `backup/range`), the `chunk_data` part is not. '
    + 'The backup is replaced only when the last chunk arrived and the SHA-256 of the whole matches `file_hash`.',
  consumes: ['multipart/form-data'],
  body: UploadChunkParts,
  response: { 200: SuccessResponse, 206: UploadStartedResponse },
});

const DOWNLOAD_DOC = premiumRoute({
  summary: 'Download the stored backup',
  description: `The stored bytes as uploaded, with \`${BACKUP_DIGEST_HEADER}: sha-256=:<base64>:\`.`,
  querystring: NonceQuery,
  response: { 200: contentResponse('The backup', 'application/octet-stream') },
});

export interface BackupApiOptions {
  backups: Backups;
  metrics: ServerMetrics;
}

/**
 * `POST /nest/1/backup/range` and `GET /nest/1/backup` (PROTOCOL.md §5).
 * The upload is read as a stream: the text fields first, the signature is
 * verified over them, and only then is the file part consumed, straight
 * into the blob store.
 */
export async function backupApiRoutes(app: FastifyInstance, options: BackupApiOptions): Promise<void> {
  const { backups, metrics } = options;

  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fieldNameSize: 64, fieldSize: 1024, fields: 16, files: 1, parts: 20, headerPairs: 20, fileSize: MAX_CHUNK_BYTES + 1 },
  });

  /** Handles the file part; always leaves it drained. Returns null when the signature check answered already. */
  /** Who sends a first chunk: the device our client names (signed), and the User-Agent. */
  async function authorOf(request: FastifyRequest, subscriber: Subscriber, fields: readonly [string, string][]): Promise<BackupAuthor> {
    const identifier = fields.find(([name]) => name === 'device_identifier')?.[1];
    const device = identifier === undefined || identifier === '' ? null : await findDeviceNaming(backups.ctx, subscriber.accountId, identifier);
    return { deviceName: device?.name ?? null, devicePlatform: device?.platform ?? null, userAgent: userAgentOf(request.headers['user-agent']) };
  }

  async function chunkAnswer(request: FastifyRequest, reply: FastifyReply, fields: [string, string][], part: MultipartFile): Promise<Answer | null> {
    try {
      const subscriber = await app.verifyPremiumRequest(request, reply, ENDPOINTS.uploadBackupChunk, fields);
      if (subscriber === null) return null;
      if (part.fieldname !== 'chunk_data') throw invalid(messages.backupMissingFile());
      const uploader = uploaderOf(subscriber);
      const parsed = parseFields(fields);
      assertWithinQuota(uploader, parsed.totalSize);
      const range = parseContentRange(request.headers['content-range'], parsed.totalSize);
      const author = parsed.uploadId === null ? await authorOf(request, subscriber, fields) : undefined;
      const outcome = await receiveChunk(backups, uploader, { ...parsed, ...range, ...(author === undefined ? {} : { author }) }, part.file);
      metrics.backupChunkStored(range.end - range.start + 1);
      if (outcome.status === 'complete' && outcome.stored !== undefined) metrics.backupStored(outcome.stored.uploadMs);
      return outcome.status === 'partial'
        ? { status: 206, body: { upload_id: outcome.uploadId } }
        : { status: 200, body: { success: true } };
    } catch (error) {
      if (error instanceof BackupError) return answerOf(error);
      throw error;
    } finally {
      await drain(part.file);
    }
  }

  app.post(
    '/nest/1/backup/range',
    { schema: UPLOAD_DOC, bodyLimit: PREMIUM_BODY_LIMIT, config: { premium: { endpoint: ENDPOINTS.uploadBackupChunk, namesCaller: true } } },
    async (request, reply) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > PREMIUM_BODY_LIMIT) {
        // Too large to read through: answer and close rather than receive it.
        reply.header('connection', 'close');
        return reply
          .code(413)
          .send({ error: messages.backupRequestTooLarge(PREMIUM_BODY_LIMIT), code: BackupErrorCode.RequestTooLarge });
      }
      if (!request.isMultipart()) {
        return reply.code(400).send({ error: messages.backupNotMultipart(), code: BackupErrorCode.InvalidChunk });
      }

      const fields: [string, string][] = [];
      let answer: Answer | null = null;
      let file: MultipartFile | null = null;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            file = part;
            break;
          }
          fields.push([part.fieldname, typeof part.value === 'string' ? part.value : String(part.value)]);
        }
      } catch (error) {
        if (reply.sent) return reply;
        // Malformed multipart, a limit exceeded, or the client went away before the file part.
        const detail = error instanceof Error ? error.message : String(error);
        answer = answerOf(invalid(messages.invalidRequest(detail)));
      }
      // Errors past this point are the server's (storage, database): the error handler answers 500.
      if (answer === null && file !== null) answer = await chunkAnswer(request, reply, fields, file);
      if (reply.sent) return reply;
      if (answer === null && file === null) {
        const subscriber = await app.verifyPremiumRequest(request, reply, ENDPOINTS.uploadBackupChunk, fields);
        if (subscriber === null) return reply;
        answer = answerOf(invalid(messages.backupMissingFile()));
      }
      if (answer === null) return reply;
      if (answer.status >= 400) request.log.info({ status: answer.status, code: answer.body.code }, BACKUP_CHUNK_REFUSED);
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.get(
    '/nest/1/backup',
    { schema: DOWNLOAD_DOC, config: { premium: { endpoint: ENDPOINTS.downloadBackup, namesCaller: true } } },
    async (request, reply) => {
      const subscriber = request.subscriber;
      if (subscriber === undefined) throw new Error('route reached without a verified subscriber');
      const opened = await openBackup(backups, subscriber.accountId);
      if (opened === null) return reply.code(404).send({ error: messages.backupNotFound(), code: BackupErrorCode.NotFound });
      opened.stream.once('end', () => metrics.backupDownloaded(opened.size));
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(opened.size))
        .header(BACKUP_DIGEST_HEADER, `sha-256=:${opened.sha256}:`)
        .send(opened.stream);
    },
  );
}
