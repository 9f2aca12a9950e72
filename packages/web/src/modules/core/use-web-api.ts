import { CSRF_HEADER, CsrfResponse, WEB_API_PATHS, WebError, WebErrorCode } from '@rotki-premium/protocol/web-api';
import type { z } from 'zod';

/** A failed web API call, with the server's code and message (shown to the user as is). */
export class WebApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'WebApiRequestError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

let csrfToken: string | null = null;
let onSessionEnded: (() => void) | null = null;

/** The CSRF token of this page: from the account response, or fetched before the first change. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a call finds the session gone (expired, or logged out elsewhere). */
export function setSessionEndedHandler(handler: () => void): void {
  onSessionEnded = handler;
}

export function errorMessage(error: unknown): string {
  if (error instanceof WebApiRequestError) return error.message;
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.';
  return 'Something went wrong. Refresh the page and try again.';
}

async function send(method: Method, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    if (csrfToken === null) csrfToken = (await call('GET', WEB_API_PATHS.csrf, CsrfResponse)).csrfToken;
    headers[CSRF_HEADER] = csrfToken;
  }
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** One web API call; the answer is parsed with `schema` at this boundary. */
export async function call<T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = WebError.safeParse(json);
    const error = parsed.success
      ? new WebApiRequestError(response.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.field)
      : new WebApiRequestError(response.status, WebErrorCode.Internal, `The server answered ${response.status}. Try again later.`);
    if (error.code === WebErrorCode.NotLoggedIn) onSessionEnded?.();
    throw error;
  }
  return schema.parse(json);
}

/** The composable form, for components. */
export function useWebApi() {
  return { call, errorMessage };
}
