import type { IncomingHttpHeaders } from 'node:http';
import { AuthErrorCode, Device } from '@rotki-premium/protocol';
import { z } from 'zod';
import {
  AuthenticationError,
  CREDENTIAL_CODES,
  CredentialsRejectedError,
  DeviceLimitError,
  RemoteError,
  SubscriptionInactiveError,
  type PremiumClientError,
} from './errors.ts';

/** What came back. Any status is returned; `errorFromResponse` turns an unexpected one into a typed error. */
export interface PremiumResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, or empty when it went to `SendOptions.sink`. */
  body: Buffer;
  /** The URL requested, without its query. */
  url: string;
}

/** The body as a JSON object, or null when it is not one. */
export function jsonObjectOf(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const DeviceLimitDetail = z.object({ devices: z.array(Device), limit: z.number().int() });

/**
 * The typed error for an answer the caller did not expect: the server's
 * `{"error", "code"}` body decides the class (401/403 → authentication,
 * 422 → device limit, anything else → `RemoteError`).
 */
export function errorFromResponse(response: PremiumResponse): PremiumClientError {
  const text = response.body.toString('utf8');
  const json = jsonObjectOf(response.body);
  const message = typeof json?.error === 'string' && json.error.trim() !== '' ? json.error : null;
  const code = typeof json?.code === 'string' ? json.code : null;
  const { status } = response;
  if (status === 401 || status === 403) {
    const shown = message ?? `The rotki premium server refused the API credentials (HTTP ${status}).`;
    if (code === AuthErrorCode.SubscriptionInactive) return new SubscriptionInactiveError(shown, status, code);
    if (code === null || CREDENTIAL_CODES.has(code)) return new CredentialsRejectedError(shown, status, code);
    return new AuthenticationError(shown, status, code);
  }
  if (status === 422) {
    const detail = DeviceLimitDetail.safeParse(json);
    return new DeviceLimitError(
      message ?? (text.trim() === '' ? 'The device limit of your plan is reached.' : text),
      detail.success ? detail.data.devices : [],
      detail.success ? detail.data.limit : null,
    );
  }
  return new RemoteError(
    message ?? `Unexpected answer from the rotki premium server at ${response.url} (HTTP ${status}).`,
    status,
    text,
    code,
  );
}

/** Parses a JSON answer with a protocol schema; a body of another shape is a `RemoteError`. */
export function parseResponse<T>(response: PremiumResponse, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new RemoteError(
      `Invalid answer from the rotki premium server at ${response.url}: the body is not JSON.`,
      response.status,
      response.body.toString('utf8'),
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new RemoteError(
      `Invalid answer from the rotki premium server at ${response.url}: ${issue?.message ?? 'unexpected shape'}${where}.`,
      response.status,
      response.body.toString('utf8'),
    );
  }
  return parsed.data;
}
