import { PremiumClient, credentialProblem, defaultDeviceName, deviceIdentifier } from '@rotki-premium/client';
import type { UserLimits } from '@rotki-premium/protocol';
import { AppError, texts } from '../errors.ts';
import { deleteCredentials, loadCredentials, saveCredentials, type PremiumCredentials } from '../local/credentials.ts';
import type { OpenUser } from '../local/user-store.ts';
import { withStaleMarks, type DeviceListView } from './device-list-view.ts';
import { keyHint, type CheckTrigger, type PremiumReason, type PremiumStatus } from './premium-status.ts';
import { toAppError } from './remote-errors.ts';

/** Where the premium server and its website are, and how this app talks to them. */
export interface PremiumEnvironment {
  /** The premium API, e.g. `http://127.0.0.1:4243`. */
  serverUrl: string;
  /** The subscriber website (served by the same server by default). */
  siteUrl: string;
  userAgent: string;
  /** The name a new registration uses; null: this computer's host name. */
  deviceName: string | null;
  /** Milliseconds since the epoch. */
  now: () => number;
}

const REASONS: ReadonlySet<string> = new Set<PremiumReason>([
  'key_rejected',
  'subscription_inactive',
  'device_removed',
  'device_limit',
  'server_unreachable',
  'remote_error',
]);

/** Failures that end premium at once; the others (network) are tolerated for a while. */
const FATAL: ReadonlySet<string> = new Set<PremiumReason>(['key_rejected', 'subscription_inactive', 'device_removed']);

/** The hourly check tolerates this many failures in a row to reach the server before premium goes off. */
export const UNREACHABLE_TOLERANCE = 3;

/**
 * Premium for one logged-in local user: activation (check, then register
 * the device), the periodic re-check, devices and limits. Credentials are
 * stored only once the server accepted them, so a rejected replacement
 * leaves the previous pair in place.
 */
export class PremiumSession {
  readonly #user: OpenUser;
  readonly #env: PremiumEnvironment;
  readonly deviceId: string;
  #credentials: PremiumCredentials | null;
  #client: PremiumClient | null = null;
  /** After a device-limit refusal: the refused pair, to list and remove devices from the dialog. */
  #pending: PremiumClient | null = null;
  #limits: UserLimits | null = null;
  #active = false;
  #reason: PremiumReason | null = null;
  #message: string | null = null;
  #lastCheckTs: number | null = null;
  #unreachableStreak = 0;

  constructor(user: OpenUser, env: PremiumEnvironment) {
    this.#user = user;
    this.#env = env;
    // The device id is keyed by the local user name, as the rotki app keys it by its profile name.
    this.deviceId = deviceIdentifier(user.name);
    this.#credentials = loadCredentials(user.db, user.key);
  }

  get active(): boolean {
    return this.#active;
  }

  get limits(): UserLimits | null {
    return this.#active ? this.#limits : null;
  }

  get hasCredentials(): boolean {
    return this.#credentials !== null;
  }

  /** The client of the active subscription; null while premium is off. */
  get client(): PremiumClient | null {
    return this.#active ? this.#client : null;
  }

  get devicesUrl(): string {
    return `${this.#env.siteUrl}/home/devices`;
  }

  /** The app's own error for what a call with the stored pair threw (the stored pair worked when it was saved). */
  explain(error: unknown): AppError {
    return toAppError(error, { devicesUrl: this.devicesUrl, pairWorkedBefore: this.#credentials !== null });
  }

  #nowSeconds(): number {
    return Math.floor(this.#env.now() / 1000);
  }

  #makeClient(credentials: PremiumCredentials, device: string | null): PremiumClient {
    return new PremiumClient({
      baseUrl: this.#env.serverUrl,
      apiKey: credentials.apiKey,
      apiSecret: credentials.apiSecret,
      deviceIdentifier: device,
      userAgent: this.#env.userAgent,
      clock: this.#env.now,
    });
  }

  #activate(client: PremiumClient, limits: UserLimits): void {
    this.#client = client;
    this.#limits = limits;
    this.#active = true;
    this.#reason = null;
    this.#message = texts.active();
    this.#unreachableStreak = 0;
    this.#lastCheckTs = this.#nowSeconds();
  }

  #deactivate(reason: PremiumReason | null, message: string | null): void {
    this.#active = false;
    this.#client = null;
    this.#limits = null;
    this.#reason = reason;
    this.#message = message;
  }

  /** A refusal seen on any call ends premium when it means the key, subscription or device is gone. */
  #noteFailure(error: AppError): AppError {
    if (this.#active && FATAL.has(error.kind)) this.#deactivate(error.kind as PremiumReason, error.message);
    return error;
  }

  /**
   * Setup / Replace: format check before any network call, then check and
   * register this device, then read the plan. Stores the pair only on success.
   */
  async setup(apiKey: string, apiSecret: string): Promise<PremiumStatus> {
    const credentials = { apiKey: apiKey.trim(), apiSecret: apiSecret.trim() };
    const problem = credentialProblem(credentials.apiKey, credentials.apiSecret);
    if (problem !== null) throw new AppError('invalid_credentials_format', texts.credentialProblem(problem));
    let client: PremiumClient;
    try {
      client = this.#makeClient(credentials, this.deviceId);
      await client.authenticateDevice({ name: this.#env.deviceName ?? defaultDeviceName() });
      const limits = await client.limits();
      saveCredentials(this.#user.db, this.#user.key, credentials, this.#nowSeconds());
      this.#credentials = credentials;
      this.#pending = null;
      this.#activate(client, limits);
      return this.status();
    } catch (error) {
      const stored = this.#credentials;
      const failure = toAppError(error, {
        devicesUrl: this.devicesUrl,
        pairWorkedBefore: stored !== null && stored.apiKey === credentials.apiKey && stored.apiSecret === credentials.apiSecret,
      });
      this.#pending = failure.kind === 'device_limit' ? this.#makeClient(credentials, null) : null;
      this.#lastCheckTs = this.#nowSeconds();
      if (!this.#active) {
        this.#reason = REASONS.has(failure.kind) ? (failure.kind as PremiumReason) : null;
        this.#message = failure.message;
      }
      throw failure;
    }
  }

  /** "Setup again" after the device was removed: registers this device with the stored pair. */
  async setupAgain(): Promise<PremiumStatus> {
    if (this.#credentials === null) throw new AppError('premium_not_set_up', texts.premiumNotSetUp());
    return this.setup(this.#credentials.apiKey, this.#credentials.apiSecret);
  }

  /**
   * The check at login, every hour and on demand: is this device still
   * registered and the key still accepted? A removed device is not
   * registered again behind the user's back: premium goes off with a message
   * and Setup registers it again.
   */
  async check(trigger: CheckTrigger): Promise<PremiumStatus> {
    if (this.#credentials === null) {
      this.#deactivate(null, null);
      return this.status();
    }
    const client = this.#client ?? this.#makeClient(this.#credentials, this.deviceId);
    try {
      const registered = await client.checkDevice();
      this.#lastCheckTs = this.#nowSeconds();
      if (!registered) {
        this.#deactivate('device_removed', texts.deviceRemoved());
        return this.status();
      }
      this.#activate(client, await client.limits());
    } catch (error) {
      const failure = this.explain(error);
      this.#lastCheckTs = this.#nowSeconds();
      if (!FATAL.has(failure.kind)) {
        this.#unreachableStreak += 1;
        if (trigger === 'periodic' && this.#active && this.#unreachableStreak < UNREACHABLE_TOLERANCE) {
          this.#message = `${failure.message} Premium stays on; the next check is in an hour.`;
          return this.status();
        }
      }
      this.#deactivate(REASONS.has(failure.kind) ? (failure.kind as PremiumReason) : 'remote_error', failure.message);
    }
    return this.status();
  }

  /** DELETE /api/1/premium: forget the pair here. No server call; the device stays registered there. */
  remove(): PremiumStatus {
    deleteCredentials(this.#user.db);
    this.#credentials = null;
    this.#pending = null;
    this.#deactivate(null, 'rotki Premium credentials were removed from this user.');
    return this.status();
  }

  /** The client to manage devices with: the active one, else the stored or refused pair naming no device. */
  #deviceClient(): PremiumClient {
    if (this.#active && this.#client !== null) return this.#client;
    if (this.#pending !== null) return this.#pending;
    if (this.#credentials !== null) return this.#makeClient(this.#credentials, null);
    throw new AppError('premium_not_set_up', texts.premiumNotSetUp());
  }

  async listDevices(): Promise<DeviceListView> {
    try {
      const client = this.#deviceClient();
      const [list, status] = await Promise.all([client.devices(), client.deviceStatus()]);
      return withStaleMarks(list.devices, list.limit, this.deviceId, status);
    } catch (error) {
      throw this.#noteFailure(this.explain(error));
    }
  }

  async renameDevice(identifier: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if ([...trimmed].length < 1 || [...trimmed].length > 100) {
      throw new AppError('invalid_input', 'A device name has 1 to 100 characters');
    }
    try {
      await this.#deviceClient().renameDevice(identifier, trimmed);
    } catch (error) {
      throw this.#noteFailure(this.explain(error));
    }
  }

  async deleteDevice(identifier: string): Promise<void> {
    if (identifier === this.deviceId) throw new AppError('current_device', texts.currentDevice());
    try {
      await this.#deviceClient().deleteDevice(identifier);
    } catch (error) {
      throw this.#noteFailure(this.explain(error));
    }
  }

  /** Fresh limits from the server while premium is on. */
  async refreshLimits(): Promise<UserLimits | null> {
    if (!this.#active || this.#client === null) return null;
    try {
      this.#limits = await this.#client.limits();
      return this.#limits;
    } catch (error) {
      throw this.#noteFailure(this.explain(error));
    }
  }

  /** Lets other parts (sync) report a refusal so premium goes off when the key or device is gone. */
  noteFailure(error: AppError): AppError {
    return this.#noteFailure(error);
  }

  status(): PremiumStatus {
    const limits = this.limits;
    return {
      user: this.#user.name,
      premium_active: this.#active,
      has_credentials: this.#credentials !== null,
      api_key_hint: this.#credentials === null ? null : keyHint(this.#credentials.apiKey),
      plan: limits?.current_tier ?? null,
      limit_of_devices: limits?.limit_of_devices ?? null,
      max_backup_size_mb: limits?.max_backup_size_mb ?? null,
      message: this.#message,
      reason: this.#reason,
      last_check_ts: this.#lastCheckTs,
      current_device_id: this.deviceId,
      server_url: this.#env.serverUrl,
      subscription_url: `${this.#env.siteUrl}/home/subscription`,
      devices_url: this.devicesUrl,
    };
  }
}
