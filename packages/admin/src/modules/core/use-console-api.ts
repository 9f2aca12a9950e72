import { ADMIN_API_PATHS, ADMIN_CSRF_HEADER, CsrfView } from '@rotki-premium/protocol/admin-api';
import { WebError } from '@rotki-premium/protocol/web-api';
import type { z } from 'zod';

/** A failed console API call, with the server's code and message (shown as is). */
export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

let csrfToken: string | null = null;
let onSignedOut: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ConsoleApiError) return error.message;
  if (error instanceof TypeError) return 'The server cannot be reached. Check the connection and try again.';
  return 'Something went wrong. Reload the page and try again.';
}

/** One console API call; the answer is parsed with `schema` at this boundary. */
export async function call<T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    if (csrfToken === null) csrfToken = (await call('GET', ADMIN_API_PATHS.csrf, CsrfView)).csrfToken;
    headers[ADMIN_CSRF_HEADER] = csrfToken;
  }
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = WebError.safeParse(json);
    const error = parsed.success
      ? new ConsoleApiError(response.status, parsed.data.error.code, parsed.data.error.message)
      : new ConsoleApiError(response.status, 'internal', `The server answered ${response.status}. Try again later.`);
    if (error.code === 'not_signed_in') onSignedOut?.();
    throw error;
  }
  const parsed = schema.parse(json);
  if (parsed !== null && typeof parsed === 'object' && 'csrfToken' in parsed && typeof parsed.csrfToken === 'string') csrfToken = parsed.csrfToken;
  return parsed;
}

export function formatDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(minor / 100);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
