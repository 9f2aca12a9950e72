import {
  BackupHistory,
  DeviceList,
  DeviceStatus,
  ENDPOINTS,
  LastDataMetadata,
  UnlocksResponse,
  UserLimits,
} from '@rotki-premium/protocol';
import {
  downloadBackup,
  uploadBackup,
  type DownloadBackupOptions,
  type DownloadBackupResult,
  type UploadBackupOptions,
  type UploadBackupResult,
} from './backup.ts';
import { defaultDeviceName, deviceIdentifier as localDeviceIdentifier, platformName } from './device-identity.ts';
import { ServerClock } from './server-clock.ts';
import { errorFromResponse, parseResponse, type PremiumResponse } from './premium-response.ts';
import { endpointUrl, signingKeyOf, type PremiumConnection } from './signed-request.ts';
import { DEFAULT_TIMEOUT_MS, sendSigned, sendUnsigned, type PublicTarget } from './transport.ts';
import { DEFAULT_USER_AGENT } from './version.ts';

export interface PremiumClientOptions {
  /** The premium server, e.g. `https://premium.example.org`. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /**
   * This device's identifier, named in every request (PROTOCOL.md decision 7).
   * Default: `deviceIdentifier()` of this machine and local user. null: name
   * no device, as the rotki app does.
   */
  deviceIdentifier?: string | null;
  /** Default `rotki-premium-client/<version>`. */
  userAgent?: string;
  /** Default 5000 ms, for connecting and for each wait on the socket. */
  timeoutMs?: number;
  /** The local clock in ms since the epoch; tests pass a skewed one. Default `Date.now`. */
  clock?: () => number;
}

export interface DeviceToRegister {
  /** Default: this client's device. */
  identifier?: string;
  /** Default: `defaultDeviceName()`. */
  name?: string;
  /** Default: `platformName()`. */
  platform?: string;
}

export type RegisterOutcome = 'registered' | 'already_registered';

export interface DeviceAuthentication {
  identifier: string;
  /** True when this call registered the device; false when it was registered already. */
  newlyRegistered: boolean;
}

function expect(response: PremiumResponse, ...statuses: number[]): PremiumResponse {
  if (!statuses.includes(response.status)) throw errorFromResponse(response);
  return response;
}

/**
 * The public `limits/unlocks` table (capability → cheapest tier); needs no
 * credentials, like the rotki app's call for users without premium.
 */
export async function fetchUnlocks(target: PublicTarget): Promise<UnlocksResponse> {
  const response = expect(await sendUnsigned(target, ENDPOINTS.unlocks), 200);
  return parseResponse(response, UnlocksResponse);
}

/**
 * A premium API client for one subscriber's credentials on one device: every
 * premium endpoint (backup transfer is in `backup.ts`; `uploadBackup` and
 * `downloadBackup` here call it with `client.connection`). Requests are signed by the protocol package, name this
 * device, and correct the clock once when the server says it is off.
 *
 * @example
 * const client = new PremiumClient({ baseUrl, apiKey, apiSecret });
 * await client.authenticateDevice();
 * const { current_tier } = await client.limits();
 */
export class PremiumClient {
  readonly baseUrl: string;
  /** The device this client names in its requests; null when it names none. */
  readonly deviceIdentifier: string | null;
  readonly #connection: Readonly<PremiumConnection>;
  readonly #clock: ServerClock;

  /**
   * Throws `InvalidSecretFormatError` / `InvalidApiKeyFormatError` when the
   * credentials cannot be used, before anything is sent.
   */
  constructor(options: PremiumClientOptions) {
    signingKeyOf(options.apiKey, options.apiSecret);
    endpointUrl(options.baseUrl, ENDPOINTS.limits);
    this.baseUrl = options.baseUrl;
    this.deviceIdentifier = options.deviceIdentifier === undefined ? localDeviceIdentifier() : options.deviceIdentifier;
    this.#clock = new ServerClock(options.clock ?? Date.now);
    this.#connection = Object.freeze({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      deviceIdentifier: this.deviceIdentifier,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: this.#clock,
    });
  }

  /** The connection for `sendSigned` and the backup functions; it shares this client's clock correction. */
  get connection(): Readonly<PremiumConnection> {
    return this.#connection;
  }

  /** Server time minus local time, as the server last reported it (0 until then). */
  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  #ownDevice(identifier: string | undefined): string {
    const id = identifier ?? this.deviceIdentifier;
    if (id === null) throw new TypeError('No device identifier: pass one, or create the client with a deviceIdentifier');
    return id;
  }

  /**
   * `last_data_metadata`: the stored backup's timestamps, hash and size (zeros
   * and an empty hash before the first upload). Succeeds only while the
   * subscription is active, which is how the rotki app checks that.
   */
  async metadata(): Promise<LastDataMetadata> {
    const response = expect(await sendSigned(this.#connection, ENDPOINTS.lastDataMetadata), 200);
    return parseResponse(response, LastDataMetadata);
  }

  /**
   * The current backup and the earlier versions the plan keeps, newest first,
   * each with who uploaded it (our server only; the rotki app has no such call).
   */
  async backupHistory(): Promise<BackupHistory> {
    const response = expect(await sendSigned(this.#connection, ENDPOINTS.backupHistory), 200);
    return parseResponse(response, BackupHistory);
  }

  /** The account's devices and the plan's device limit. */
  async devices(): Promise<DeviceList> {
    const response = expect(await sendSigned(this.#connection, ENDPOINTS.listDevices), 200);
    return parseResponse(response, DeviceList);
  }

  /**
   * Which devices are stale and which stale devices the server replaced at
   * the limit (our server only); null from a server without the call.
   */
  async deviceStatus(): Promise<DeviceStatus | null> {
    const response = expect(await sendSigned(this.#connection, ENDPOINTS.deviceStatus), 200, 404);
    return response.status === 404 ? null : parseResponse(response, DeviceStatus);
  }

  /** True when the device is registered, false when it is not (or was removed). */
  async checkDevice(identifier?: string): Promise<boolean> {
    const response = expect(
      await sendSigned(this.#connection, ENDPOINTS.checkDevice, { device_identifier: this.#ownDevice(identifier) }),
      200,
      404,
    );
    return response.status === 200;
  }

  /**
   * Registers a device (default: this one). Throws `DeviceLimitError`, with
   * the registered devices, when the plan's limit is reached.
   */
  async registerDevice(device: DeviceToRegister = {}): Promise<RegisterOutcome> {
    const response = expect(
      await sendSigned(this.#connection, ENDPOINTS.registerDevice, {
        device_identifier: this.#ownDevice(device.identifier),
        device_name: device.name ?? defaultDeviceName(),
        platform: device.platform ?? platformName(),
      }),
      201,
      409,
    );
    return response.status === 201 ? 'registered' : 'already_registered';
  }

  async renameDevice(identifier: string, name: string): Promise<void> {
    expect(await sendSigned(this.#connection, ENDPOINTS.renameDevice, { device_identifier: identifier, device_name: name }), 200);
  }

  /** Removes a device from the account; it is refused from its next request on. */
  async deleteDevice(identifier: string): Promise<void> {
    expect(await sendSigned(this.#connection, ENDPOINTS.deleteDevice, { device_identifier: identifier }), 200);
  }

  /** The plan's limits and capabilities. */
  async limits(): Promise<UserLimits> {
    const response = expect(await sendSigned(this.#connection, ENDPOINTS.limits), 200);
    return parseResponse(response, UserLimits);
  }

  /** The public capability → cheapest tier table (sent without credentials). */
  unlocks(): Promise<UnlocksResponse> {
    return fetchUnlocks(this.#connection);
  }

  /**
   * What the rotki app does at login and every hour: check the device, and
   * register it when the server does not know it. Throws
   * `CredentialsRejectedError` / `SubscriptionInactiveError` when the
   * credentials are refused and `DeviceLimitError` when there is no free slot.
   */
  async authenticateDevice(device: DeviceToRegister = {}): Promise<DeviceAuthentication> {
    const identifier = this.#ownDevice(device.identifier);
    if (await this.checkDevice(identifier)) return { identifier, newlyRegistered: false };
    const outcome = await this.registerDevice({ ...device, identifier });
    return { identifier, newlyRegistered: outcome === 'registered' };
  }

  /** Uploads a backup (a file, or bytes in memory) in chunks; see `uploadBackup` in `backup.ts`. */
  uploadBackup(source: string | Buffer, options: UploadBackupOptions): Promise<UploadBackupResult> {
    return uploadBackup(this.#connection, source, options);
  }

  /** Downloads the stored backup to a file, or resolves null when there is none; see `downloadBackup` in `backup.ts`. */
  downloadBackup(destinationPath: string, options: DownloadBackupOptions = {}): Promise<DownloadBackupResult | null> {
    return downloadBackup(this.#connection, destinationPath, options);
  }
}
