import type { Hash } from 'node:crypto';
import type { BackupErrorCode } from '@rotki-premium/protocol';
import type { BlobStore } from '../store/blob-store.ts';
import type { TrailingHashes } from './backup-hash-worker.ts';
import type { BackupAuthor } from './backup-history.ts';
import type { DomainContext } from './context.ts';

export interface BackupPolicy {
  /** An open upload that receives no chunk for this long is removed (decision 4: 24 hours). */
  uploadTtlMs: number;
  /**
   * A replaced backup is removed this long after the switch, so that a
   * download that started just before the switch can finish.
   */
  supersededGraceMs: number;
  /**
   * Test hook (ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS): wait this
   * long after sealing a complete upload and before switching the backup to
   * it, so crash tests can kill the server in that window. 0 in production.
   */
  pauseBeforeSwitchMs: number;
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = Object.freeze({
  uploadTtlMs: 24 * 60 * 60 * 1000,
  supersededGraceMs: 60 * 60 * 1000,
  pauseBeforeSwitchMs: 0,
});

export interface BackupLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
}

/** SHA-256 of an upload's first `bytes` bytes, as this process received them. */
export interface HashState {
  /** null: held by the hashing worker (`trailing`). */
  hash: Hash | null;
  bytes: number;
  touchedAt: number;
}

/** What backup functions depend on. One per process: it holds the running hashes of the uploads it receives. */
export interface Backups {
  ctx: DomainContext;
  blobs: BlobStore;
  policy: BackupPolicy;
  log: BackupLog;
  /**
   * upload id → hash of the bytes received so far, so that completion need
   * not read the upload back. Only a shortcut: when chunks went to another
   * instance or this process restarted, completion hashes the stored bytes.
   */
  hashes: Map<string, HashState>;
  /** The worker hashing large uploads on the file store, started with the first one (see backup-hashes.ts). */
  trailing?: TrailingHashes;
}

const silentLog: BackupLog = { info: () => {}, warn: () => {} };

export function createBackups(
  ctx: DomainContext,
  blobs: BlobStore,
  options: { policy?: Partial<BackupPolicy>; log?: BackupLog } = {},
): Backups {
  return {
    ctx,
    blobs,
    policy: { ...DEFAULT_BACKUP_POLICY, ...options.policy },
    log: options.log ?? silentLog,
    hashes: new Map(),
  };
}

/** A refused chunk: the status and `{"error", "code"}` body the premium API answers with. */
export class BackupError extends Error {
  readonly status: 400 | 404 | 409 | 413;
  readonly code: BackupErrorCode;
  /** Extra keys for the response body. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(status: BackupError['status'], code: BackupErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BackupError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** Who uploads, and the limit of their plan. */
export interface Uploader {
  accountId: number;
  tierName: string;
  /** MiB; 0 means the plan has no backups. */
  maxBackupSizeMb: number;
  /** The tier's `backup_versions`: how many versions are kept, the current one included. */
  backupVersions: number;
}

/** One `backup/range` request, validated for syntax by the HTTP layer. */
export interface ChunkInput {
  /** Absent on the first chunk. */
  uploadId: string | null;
  fileHash: string;
  lastModifyTs: number;
  compression: string;
  totalSize: number;
  /** First byte of the chunk (Content-Range). */
  start: number;
  /** Last byte of the chunk, inclusive (Content-Range). */
  end: number;
  /** Who sends it (recorded from the first chunk). */
  author?: BackupAuthor;
  /**
   * Compare-and-swap (our client only): the hash of the backup the uploader's
   * data was synced from, '' for none. Undefined: no check (the rotki app, or a forced upload).
   */
  baseHash?: string;
}

/**
 * 'partial': answer 206 with the upload id; 'complete': the backup was switched, answer 200
 * (`stored` when this very request switched it: the size and the time since the first chunk).
 */
export type ChunkOutcome =
  | { status: 'partial'; uploadId: string }
  | { status: 'complete'; uploadId: string; stored?: { size: number; uploadMs: number } };
