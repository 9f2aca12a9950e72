import type { BackupHistory } from '@rotki-premium/protocol';
import { BackgroundLoop } from './background.ts';
import type { AppConfig } from './config.ts';
import { AppError, texts } from './errors.ts';
import { readSettings, updateSettings, type SettingsUpdate, type UserSettings } from './local/settings.ts';
import { listUsers, type OpenUser } from './local/user-store.ts';
import type { CapabilitiesView } from './premium/capabilities.ts';
import { readCapabilities } from './premium/read-capabilities.ts';
import type { DeviceListView } from './premium/device-list-view.ts';
import type { CheckTrigger, PremiumStatus } from './premium/premium-status.ts';
import type { SyncApproval } from './sync/login-pull.ts';
import type { SyncOutcome, SyncProgress, UploadOptions } from './sync/sync-service.ts';
import type { SyncStatusView } from './sync/sync-status.ts';
import { createUserSession, loginUserSession, type CreateUserInput, type SessionSettings, type UserSession } from './user-session.ts';

export interface LoginResult {
  settings: UserSettings;
  premium: PremiumStatus;
  /** What happened with the remote backup at login, when anything did. */
  sync: SyncOutcome | null;
}

export interface AppCoreOptions {
  config: AppConfig;
  userAgent: string;
  now?: () => number;
  /** One line per premium and sync event, for the app's log (never a key or secret). */
  log?: (line: string) => void;
}

/**
 * The app: at most one logged-in local user at a time, as in rotki, with its
 * premium session and sync. The local REST API and the CLI both drive it.
 */
export class AppCore {
  readonly config: AppConfig;
  readonly #userAgent: string;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  #session: UserSession | null = null;
  readonly #background: BackgroundLoop;
  #lastPeriodicCheck = 0;
  /** Set while a login, creation or logout is under way: they run one at a time. */
  #switching = false;

  constructor(options: AppCoreOptions) {
    this.config = options.config;
    this.#userAgent = options.userAgent;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => {});
    this.#background = new BackgroundLoop(() => this.tick(), this.#log);
  }

  now(): number {
    return this.#now();
  }

  #logPremium(event: string, status: PremiumStatus): void {
    const state = status.premium_active ? `active (${status.plan ?? 'unknown'} plan)` : `off${status.message === null ? '' : `: ${status.message}`}`;
    this.#log(`[${status.user}] ${event}: premium ${state}`);
  }

  #logFailure(user: string, event: string, error: unknown): void {
    this.#log(`[${user}] ${event} failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  users(): { name: string; status: 'loggedin' | 'loggedout' }[] {
    return listUsers(this.config.dataDir).map((name) => ({
      name,
      status: this.#session?.user.name === name ? 'loggedin' : 'loggedout',
    }));
  }

  get loggedInUser(): string | null {
    return this.#session?.user.name ?? null;
  }

  #requireSession(name?: string): UserSession {
    if (this.#session === null) throw new AppError('not_logged_in', texts.notLoggedIn());
    if (name !== undefined && this.#session.user.name !== name) {
      throw new AppError('not_logged_in', `User ${name} is not the logged-in user`);
    }
    return this.#session;
  }

  get #sessionSettings(): SessionSettings {
    return { config: this.config, userAgent: this.#userAgent, now: this.#now };
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#switching) throw new AppError('already_logged_in', 'A login or logout is already under way');
    this.#switching = true;
    try {
      return await work();
    } finally {
      this.#switching = false;
    }
  }

  #ensureNoOtherSession(): void {
    if (this.#session !== null) {
      throw new AppError('already_logged_in', `User ${this.#session.user.name} is logged in. Log out first.`);
    }
  }

  /** `PUT /api/1/users`: a new local user; with premium keys, activates premium and pulls the remote backup. */
  createUser(input: CreateUserInput): Promise<LoginResult> {
    return this.#exclusive(() => this.#createUser(input));
  }

  async #createUser(input: CreateUserInput): Promise<LoginResult> {
    this.#ensureNoOtherSession();
    const { session, sync } = await createUserSession(this.#sessionSettings, input);
    this.#session = session;
    this.#lastPeriodicCheck = this.#now();
    return { settings: readSettings(session.user.db), premium: session.premium.status(), sync };
  }

  /**
   * `POST /api/1/users/{name}`: opens the user, checks premium, and when the
   * switch is on and the remote backup is newer, asks first (PROTOCOL.md §5.5).
   */
  login(name: string, password: string, approval: SyncApproval = 'unknown'): Promise<LoginResult> {
    return this.#exclusive(() => this.#login(name, password, approval));
  }

  async #login(name: string, password: string, approval: SyncApproval): Promise<LoginResult> {
    if (this.#session?.user.name === name) throw new AppError('already_logged_in', `User ${name} is already logged in`);
    this.#ensureNoOtherSession();
    const { session, sync } = await loginUserSession(this.#sessionSettings, name, password, approval);
    this.#session = session;
    this.#lastPeriodicCheck = this.#now();
    if (session.premium.hasCredentials) this.#logPremium('login check', session.premium.status());
    if (sync !== null) this.#log(`[${name}] ${sync.action} at login: ${sync.message}`);
    return { settings: readSettings(session.user.db), premium: session.premium.status(), sync };
  }

  logout(name?: string): Promise<void> {
    return this.#exclusive(() => this.#logout(name));
  }

  async #logout(name?: string): Promise<void> {
    const session = this.#requireSession(name);
    await this.#background.idle();
    await session.sync.idle();
    session.sync.close();
    session.user.close();
    this.#session = null;
  }

  async setPremiumCredentials(name: string, apiKey: string, apiSecret: string): Promise<PremiumStatus> {
    const session = this.#requireSession(name);
    try {
      const status = await session.premium.setup(apiKey, apiSecret);
      this.#lastPeriodicCheck = this.#now();
      // A new device learns at once whether the server has a backup to offer.
      await session.sync.refreshRemote();
      this.#logPremium('setup', status);
      return status;
    } catch (error) {
      this.#logFailure(name, 'premium setup', error);
      throw error;
    }
  }

  /** Registers this device again with the stored pair (after it was removed). */
  setupPremiumAgain(): Promise<PremiumStatus> {
    return this.#requireSession().premium.setupAgain();
  }

  removePremium(): PremiumStatus {
    const status = this.#requireSession().premium.remove();
    this.#logPremium('credentials removed', status);
    return status;
  }

  premiumStatus(): PremiumStatus & { sync: SyncProgress | null; last_sync: SyncOutcome | null } {
    const session = this.#requireSession();
    return { ...session.premium.status(), sync: session.sync.progress, last_sync: session.sync.lastOutcome };
  }

  /** `GET /api/1/premium/sync`: the sync state; `refresh` looks at the server first (else only when never looked). */
  async syncStatus(refresh = false): Promise<SyncStatusView> {
    const session = this.#requireSession();
    if (refresh || session.sync.remote.checkedAt === 0) await session.sync.refreshRemote();
    return session.sync.status();
  }

  /** The server's backup versions with who uploaded each (our server's signed history call). */
  async backupHistory(): Promise<BackupHistory> {
    const session = this.#requireSession();
    const client = session.premium.client;
    if (client === null) throw new AppError('premium_not_set_up', session.premium.status().message ?? texts.premiumNotSetUp());
    try {
      return await client.backupHistory();
    } catch (error) {
      throw session.premium.explain(error);
    }
  }

  async checkPremium(trigger: CheckTrigger = 'manual'): Promise<PremiumStatus> {
    const status = await this.#requireSession().premium.check(trigger);
    this.#logPremium(`${trigger} check`, status);
    return status;
  }

  listDevices(): Promise<DeviceListView> {
    return this.#requireSession().premium.listDevices();
  }

  renameDevice(identifier: string, name: string): Promise<void> {
    return this.#requireSession().premium.renameDevice(identifier, name);
  }

  deleteDevice(identifier: string): Promise<void> {
    return this.#requireSession().premium.deleteDevice(identifier);
  }

  /** `GET /api/1/premium/capabilities`: the plan's limits, or the Free ones with the public unlock table. */
  capabilities(): Promise<CapabilitiesView> {
    return readCapabilities(this.#requireSession().premium, this.config.serverUrl, this.#userAgent);
  }

  settings(): UserSettings {
    return readSettings(this.#requireSession().user.db);
  }

  updateSettings(update: SettingsUpdate): UserSettings {
    return updateSettings(this.#requireSession().user.db, update, this.#nowSeconds());
  }

  /** The open database of the logged-in user (for the data routes). */
  userDb(): OpenUser['db'] {
    return this.#requireSession().user.db;
  }

  async sync(
    action: 'upload' | 'download',
    onProgress: (progress: SyncProgress) => void = () => {},
    options: UploadOptions = {},
  ): Promise<SyncOutcome> {
    const session = this.#requireSession();
    try {
      const outcome = await (action === 'upload' ? session.sync.upload(onProgress, options) : session.sync.download(onProgress));
      this.#log(`[${session.user.name}] ${action}: ${outcome.message}`);
      return outcome;
    } catch (error) {
      this.#logFailure(session.user.name, action, error);
      throw error;
    }
  }

  /** The toolbar's Cancel: stops the running upload; false when none runs. */
  cancelSync(): boolean {
    const session = this.#requireSession();
    const cancelled = session.sync.cancel();
    if (cancelled) this.#log(`[${session.user.name}] upload cancelled by the user`);
    return cancelled;
  }

  /** One pass of the background work: the hourly premium check, then the automatic upload. */
  async tick(): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    const now = this.#now();
    if (session.premium.hasCredentials && now - this.#lastPeriodicCheck >= this.config.checkIntervalMs) {
      this.#lastPeriodicCheck = now;
      this.#logPremium('hourly check', await session.premium.check('periodic'));
      await session.sync.refreshRemote();
    }
    const upload = await session.sync.maybeAutoUpload();
    if (upload !== null) this.#log(`[${session.user.name}] automatic upload: ${upload.message}`);
  }

  /** Starts the background work; the first premium check is the one at login. */
  startBackground(tickMs = 60_000): void {
    this.#lastPeriodicCheck = this.#now();
    this.#background.start(Math.min(tickMs, this.config.checkIntervalMs));
  }

  async close(): Promise<void> {
    this.#background.stop();
    await this.#background.idle();
    if (this.#session !== null) await this.#logout();
  }
}
