import { join } from 'node:path';
import { DEFAULT_BACKUP_POLICY } from '../domain/backups.ts';

/** Where backups are stored and how long unfinished uploads are kept. */
export interface BackupStorageConfig {
  blobStore: 'file' | 's3';
  /** The file store's folder: `<data>/backups`. */
  directory: string;
  /** Set when `blobStore` is 's3'. The secret access key is a secret (`ServerSecrets`). */
  s3: S3Config | null;
  /** An open upload without a new chunk for this long is removed (24 hours). */
  uploadTtlMs: number;
}

export interface S3Config {
  /** Empty: AWS itself. */
  endpoint: string;
  bucket: string;
  region: string;
  /** Empty: the SDK's default credential chain. */
  accessKeyId: string;
  forcePathStyle: boolean;
}

/** Options of `start` (each with its ROTKI_PREMIUM_* variable). */
export interface BackupConfigInput {
  blobStore?: string | undefined;
  s3Endpoint?: string | undefined;
  s3Bucket?: string | undefined;
  s3Region?: string | undefined;
  s3AccessKeyId?: string | undefined;
  s3ForcePathStyle?: boolean | string | undefined;
  uploadTtlSeconds?: number | string | undefined;
}

function flag(value: boolean | string | undefined): boolean {
  return value === true || value === 'true' || value === '1';
}

export function buildBackupConfig(input: BackupConfigInput, dataDir: string): BackupStorageConfig {
  const kind = (input.blobStore ?? '') === '' ? 'file' : input.blobStore;
  if (kind !== 'file' && kind !== 's3') throw new Error(`blob store must be "file" or "s3", got "${kind}"`);
  let uploadTtlMs = DEFAULT_BACKUP_POLICY.uploadTtlMs;
  if (input.uploadTtlSeconds !== undefined && input.uploadTtlSeconds !== '') {
    const seconds = Number(input.uploadTtlSeconds);
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new Error(`backup upload expiry must be a whole number of seconds ≥ 0, got "${input.uploadTtlSeconds}"`);
    }
    uploadTtlMs = seconds * 1000;
  }
  let s3: S3Config | null = null;
  if (kind === 's3') {
    const bucket = input.s3Bucket ?? '';
    if (bucket === '') throw new Error('the S3 blob store needs a bucket (--s3-bucket or ROTKI_PREMIUM_S3_BUCKET)');
    s3 = {
      endpoint: (input.s3Endpoint ?? '').replace(/\/+$/, ''),
      bucket,
      region: input.s3Region === undefined || input.s3Region === '' ? 'us-east-1' : input.s3Region,
      accessKeyId: input.s3AccessKeyId ?? '',
      forcePathStyle: flag(input.s3ForcePathStyle),
    };
  }
  return Object.freeze({ blobStore: kind, directory: join(dataDir, 'backups'), s3, uploadTtlMs });
}

/**
 * Test-only knobs, read from the environment and nowhere else:
 * ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS makes the server wait that
 * long between sealing a complete upload and switching the backup to it, so
 * a crash test can kill it inside that window. Never set it in production.
 */
export function readBackupTestHooks(env: NodeJS.ProcessEnv = process.env): { pauseBeforeSwitchMs: number } {
  const text = env.ROTKI_PREMIUM_TEST_PAUSE_BEFORE_BACKUP_SWITCH_MS ?? '';
  const ms = Number(text);
  return { pauseBeforeSwitchMs: text !== '' && Number.isInteger(ms) && ms > 0 ? ms : 0 };
}
