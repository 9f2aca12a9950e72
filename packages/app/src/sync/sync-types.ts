/** What a sync reports, for the UI, the CLI and the local API. */

export type SyncPhase = 'exporting' | 'encrypting' | 'uploading' | 'downloading' | 'decrypting' | 'replacing';

/** Where a running upload or download is, for the UI and the CLI progress bar. */
export interface SyncProgress {
  action: 'upload' | 'download';
  phase: SyncPhase;
  /** 1-based chunk being sent; 0 before the first. */
  chunk: number;
  total_chunks: number;
  bytes: number;
  total_bytes: number;
}

export interface SyncOutcome {
  action: 'upload' | 'download';
  /** rotki's `result`: false when nothing was transferred (no backup, not allowed, skipped). */
  result: boolean;
  message: string;
  /** Unix seconds. */
  finished_at: number;
  bytes?: number;
  chunks?: number;
  /** Where the replaced database was kept (download). */
  kept_backup?: string;
  /** The user cancelled it (upload): nothing changed on either side. */
  cancelled?: boolean;
  /** It failed (an error), rather than being skipped or finding nothing to do. */
  failed?: boolean;
}

export interface UploadOptions {
  /**
   * Replace the server backup even when it is not the one this data was
   * last synced from. Only with the user's explicit consent.
   */
  force?: boolean;
}

export interface SyncOptions {
  now: () => number;
  uploadIntervalMs: number;
}
