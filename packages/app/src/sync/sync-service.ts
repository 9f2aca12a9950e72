import { createHash } from 'node:crypto';
import { formatAgo } from '@rotki-premium/protocol/wording';
import { AppError, texts } from '../errors.ts';
import { readSettings } from '../local/settings.ts';
import { checkIntegrity, getCache, setCache } from '../local/user-db.ts';
import { userBackupsDir, type OpenUser } from '../local/user-store.ts';
import type { PremiumSession } from '../premium/premium-session.ts';
import { encryptBackup, exportDatabase } from './backup-blob.ts';
import { fetchRemoteBackup } from './remote-backup.ts';
import { noteAutoSyncFailure, noteSyncSuccess } from './auto-sync-health.ts';
import { LAST_UPLOAD_ATTEMPT, downloadAndReplace, exportAndUpload, sendBlob, type Connection, type TransferContext } from './database-transfer.ts';
import { currentWriteMark, hasPendingChanges, readSyncBase } from './sync-base.ts';
import { UNKNOWN_REMOTE, syncStatusView, type RemoteKnowledge, type SyncStatusView } from './sync-status.ts';
import type { SyncOptions, SyncOutcome, SyncProgress, UploadOptions } from './sync-types.ts';

export type { SyncOptions, SyncOutcome, SyncPhase, SyncProgress, UploadOptions } from './sync-types.ts';

/**
 * Upload and download of the user's database (PROTOCOL.md §5.5), one transfer
 * at a time: what the server holds, the progress and the last outcome, Cancel,
 * and the automatic upload. The transfer steps are in `database-transfer.ts`.
 */
export class SyncService {
  readonly #user: OpenUser;
  readonly #premium: PremiumSession;
  readonly #options: SyncOptions;
  #running: Promise<SyncOutcome> | null = null;
  #progress: SyncProgress | null = null;
  #lastOutcome: SyncOutcome | null = null;
  #remote: RemoteKnowledge = UNKNOWN_REMOTE;
  #closed = false;
  /** Aborts the running upload (the user's Cancel). */
  #abort: AbortController | null = null;

  constructor(user: OpenUser, premium: PremiumSession, options: SyncOptions) {
    this.#user = user;
    this.#premium = premium;
    this.#options = options;
  }

  get progress(): SyncProgress | null {
    return this.#progress;
  }

  get lastOutcome(): SyncOutcome | null {
    return this.#lastOutcome;
  }

  #nowSeconds(): number {
    return Math.floor(this.#options.now() / 1000);
  }

  /** The server's current backup as last seen (`refreshRemote` looks again). */
  get remote(): RemoteKnowledge {
    return this.#remote;
  }

  /** Looks at the server's current backup (with who uploaded it); a failure is kept as `error`, not thrown. */
  async refreshRemote(): Promise<RemoteKnowledge> {
    const client = this.#premium.client;
    if (client === null) {
      this.#remote = UNKNOWN_REMOTE;
      return this.#remote;
    }
    try {
      this.#remote = { backup: await fetchRemoteBackup(client), checkedAt: this.#nowSeconds(), error: null };
    } catch (error) {
      this.#remote = { ...this.#remote, error: this.#premium.explain(error).message };
    }
    return this.#remote;
  }

  status(): SyncStatusView {
    return syncStatusView(this.#user.db, this.#remote, userBackupsDir(this.#user.dataDir, this.#user.name), this.#nowSeconds());
  }

  /** After a transfer: look again, so the status shows the server as it is now (a failure only leaves it older). */
  async #afterTransfer(): Promise<void> {
    await this.refreshRemote().catch(() => undefined);
  }

  /** Waits for a running transfer to end. */
  async idle(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  close(): void {
    this.#closed = true;
    this.#abort?.abort();
  }

  /**
   * The user's Cancel: aborts the running upload (the transfer stops, the
   * server never switches to the unfinished upload and drops it). False when
   * no upload is running.
   */
  cancel(): boolean {
    if (this.#abort === null || this.#abort.signal.aborted) return false;
    this.#abort.abort(new AppError('sync_cancelled', texts.uploadCancelled()));
    return true;
  }

  #exclusive(action: 'upload' | 'download', work: () => Promise<SyncOutcome>): Promise<SyncOutcome> {
    if (this.#running !== null) throw new AppError('sync_in_progress', 'A sync is already running. Wait for it to finish.');
    if (this.#closed) throw new AppError('not_logged_in', texts.notLoggedIn());
    const run = (async () => {
      try {
        const outcome = await work();
        this.#lastOutcome = outcome;
        if (outcome.result) {
          noteSyncSuccess(this.#user.db);
          await this.#afterTransfer();
        }
        return outcome;
      } catch (error) {
        const failure = error instanceof AppError ? error : this.#premium.explain(error);
        if (failure.kind === 'sync_conflict' && failure.details.current !== undefined) {
          const current = failure.details.current;
          this.#remote = { backup: current.data_hash === '' ? null : current, checkedAt: this.#nowSeconds(), error: null };
        }
        this.#premium.noteFailure(failure);
        this.#lastOutcome = {
          action,
          result: false,
          message: failure.message,
          finished_at: this.#nowSeconds(),
          ...(failure.kind === 'sync_cancelled' ? { cancelled: true } : { failed: true }),
        };
        throw failure;
      } finally {
        this.#progress = null;
        this.#running = null;
        this.#abort = null;
      }
    })();
    this.#running = run;
    return run;
  }

  #report(progress: SyncProgress, listener: (p: SyncProgress) => void): void {
    this.#progress = progress;
    listener(progress);
  }

  #client() {
    const client = this.#premium.client;
    if (client === null) throw new AppError('premium_not_set_up', 'Upload failed. rotki Premium is not active for this user.');
    return client;
  }

  #transfer(connection: Connection, onProgress: (p: SyncProgress) => void): TransferContext {
    return { user: this.#user, connection, nowSeconds: () => this.#nowSeconds(), report: (progress) => this.#report(progress, onProgress) };
  }

  /**
   * Manual upload (the plain Sync): the plan must allow a backup; unless
   * forced, it uploads only when this device changed its data since it last
   * synced, and the server must still hold the backup this data was last
   * synced from (`sync_conflict` otherwise, which offers the forced actions).
   * A running upload stops at `cancel()`.
   */
  upload(onProgress: (p: SyncProgress) => void, options: UploadOptions = {}): Promise<SyncOutcome> {
    const abort = new AbortController();
    const previous = this.#abort;
    // Set before the work starts: a failure before its first await clears it again in `#exclusive`.
    this.#abort = abort;
    try {
      return this.#exclusive('upload', async () => {
      const client = this.#client();
      const limits = this.#premium.limits;
      if (limits === null || limits.max_backup_size_mb <= 0) {
        throw new AppError('upload_not_allowed', texts.uploadNotAllowed(limits?.current_tier ?? 'current'));
      }
      const force = options.force === true;
      const unchanged = !force ? await this.#unchangedSinceSync() : null;
      if (unchanged !== null) return unchanged;
      return exportAndUpload(this.#transfer(client.connection, onProgress), force, abort.signal, () => this.refreshRemote());
      });
    } catch (error) {
      this.#abort = previous;
      throw error;
    }
  }

  /** The plain Sync with nothing to send: this device's data is the server's backup. Null when there is something to upload. */
  async #unchangedSinceSync(): Promise<SyncOutcome | null> {
    const base = readSyncBase(this.#user.db);
    if (base.hash === '' || hasPendingChanges(this.#user.db, base)) return null;
    const remote = await this.refreshRemote();
    if (remote.error !== null || remote.backup?.data_hash !== base.hash) return null;
    return { action: 'upload', result: false, message: texts.nothingToUpload(formatAgo(base.syncedAt, this.#nowSeconds())), finished_at: this.#nowSeconds() };
  }

  /** Manual download (and the approved pull at login): replaces the local database unconditionally. */
  download(onProgress: (p: SyncProgress) => void): Promise<SyncOutcome> {
    return this.#exclusive('download', async () => {
      const client = this.#client();
      return downloadAndReplace(this.#transfer(client.connection, onProgress), this.#options.now);
    });
  }

  /** A new user created with keys pulls whatever the server has (PROTOCOL.md §5.5); no backup is fine. */
  async pullForNewUser(): Promise<SyncOutcome | null> {
    if (this.#premium.client === null) return null;
    return this.download(() => {});
  }

  /**
   * The automatic upload, at most once an hour while the switch is on and the
   * plan allows a backup. Skips, as rotki does, when the remote is newer or
   * bigger. Returns null when it did not try.
   */
  async maybeAutoUpload(): Promise<SyncOutcome | null> {
    const client = this.#premium.client;
    const limits = this.#premium.limits;
    if (client === null || limits === null || limits.max_backup_size_mb <= 0 || this.#running !== null || this.#closed) return null;
    const settings = readSettings(this.#user.db);
    if (!settings.premium_should_sync) return null;
    const mark = currentWriteMark(this.#user.db);
    const lastAttempt = Number(getCache(this.#user.db, LAST_UPLOAD_ATTEMPT) ?? '0');
    if (this.#options.now() - lastAttempt * 1000 <= this.#options.uploadIntervalMs) return null;

    // A skip with local changes waiting (or an error) is a failure: the server's backup falls behind.
    const skipped = (message: string, failed = hasPendingChanges(this.#user.db)): SyncOutcome => {
      setCache(this.#user.db, LAST_UPLOAD_ATTEMPT, String(this.#nowSeconds()));
      if (failed) noteAutoSyncFailure(this.#user.db, message, this.#nowSeconds());
      else noteSyncSuccess(this.#user.db);
      const outcome: SyncOutcome = { action: 'upload', result: false, message, finished_at: this.#nowSeconds() };
      this.#lastOutcome = outcome;
      return outcome;
    };
    const problem = checkIntegrity(this.#user.db);
    if (problem !== null) return skipped(`Local database check failed: ${problem}`, true);
    let remote;
    try {
      remote = await client.metadata();
    } catch (error) {
      const failure = this.#premium.explain(error);
      this.#premium.noteFailure(failure);
      return skipped(`Fetching metadata error: ${failure.message}`, true);
    }
    if (settings.last_write_ts <= remote.last_modify_ts) return skipped('Remote database is more recent than local');

    return this.#exclusive('upload', async () => {
      const plain = await exportDatabase(this.#user);
      const blob = await encryptBackup(plain, this.#user.password);
      if (createHash('sha256').update(blob).digest('base64') === remote.data_hash) return skipped('Remote database is up to date', false);
      if (blob.length < remote.data_size && settings.ask_user_upon_size_discrepancy) {
        return skipped('Remote database bigger than the local one');
      }
      return sendBlob(this.#transfer(client.connection, () => {}), blob, mark, false);
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.kind === 'sync_conflict' && error.details.current !== undefined) {
        return skipped(texts.autoUploadConflict(error.details.current, this.#nowSeconds()));
      }
      return skipped(error instanceof Error ? error.message : String(error), true);
    });
  }
}
