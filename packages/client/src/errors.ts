import { AuthErrorCode, type Device } from '@rotki-premium/protocol';

/**
 * Every error the client raises on purpose. Callers branch on the class;
 * the message can be shown to the user as it is.
 */
export class PremiumClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The credentials cannot be used at all; nothing was sent. */
export class InvalidCredentialsFormatError extends PremiumClientError {}

/** The API key is empty or holds characters an HTTP header cannot carry. */
export class InvalidApiKeyFormatError extends InvalidCredentialsFormatError {
  constructor() {
    super('The API key format is invalid. Copy the API key again from your subscription page.');
  }
}

/** The secret is not strict, padded, standard base64 (the form the signature key is decoded from). */
export class InvalidSecretFormatError extends InvalidCredentialsFormatError {
  constructor() {
    super('The API secret format is invalid. Copy the API secret again from your subscription page.');
  }
}

/**
 * The server refused a signed request (401 on `/api/1`, 403 on `/nest/1`).
 * `code` is the server's `AuthErrorCode` when it sends one; the message is the server's.
 */
export class AuthenticationError extends PremiumClientError {
  readonly status: number;
  readonly code: string | null;

  constructor(message: string, status: number, code: string | null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Unknown API key, signature mismatch (wrong or replaced secret), or this device was removed. */
export class CredentialsRejectedError extends AuthenticationError {}

/** The credentials are valid but the subscription is not active. */
export class SubscriptionInactiveError extends AuthenticationError {
  /** The day the subscription ended (UTC midnight), when the server names it. */
  readonly endedOn: Date | null;

  constructor(message: string, status: number, code: string | null) {
    super(message, status, code);
    const day = /\b(\d{4}-\d{2}-\d{2})\b/.exec(message)?.[1];
    this.endedOn = day === undefined ? null : new Date(`${day}T00:00:00Z`);
  }
}

/** Registration refused: the plan's device limit is reached. Offer to remove one of `devices`. */
export class DeviceLimitError extends PremiumClientError {
  readonly devices: Device[];
  /** The plan's limit, or null when the server did not say. */
  readonly limit: number | null;

  constructor(message: string, devices: Device[], limit: number | null) {
    super(message);
    this.devices = devices;
    this.limit = limit;
  }
}

/** No HTTP answer: connection refused, host not found, TLS failure or timeout. */
export class ServerUnreachableError extends PremiumClientError {
  /** The URL the request went to. */
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`Could not reach the rotki premium server at ${url}: ${reason}`, options);
    this.url = url;
  }
}

/** The server answered with a status this call does not expect. */
export class RemoteError extends PremiumClientError {
  readonly status: number;
  /** The response body as text (JSON error bodies included). */
  readonly body: string;
  readonly code: string | null;

  constructor(message: string, status: number, body: string, code: string | null = null) {
    super(message);
    this.status = status;
    this.body = body;
    this.code = code;
  }
}

/** The codes that mean "these credentials, or this device, are not accepted". */
export const CREDENTIAL_CODES: ReadonlySet<string> = new Set<string>([
  AuthErrorCode.MissingCredentials,
  AuthErrorCode.UnknownApiKey,
  AuthErrorCode.SignatureMismatch,
  AuthErrorCode.DeviceRemoved,
]);
