import type { z } from 'zod';

/** An answer of the local API other than 2xx, with rotki's `message` and the extra facts some errors carry. */
export class LocalApiError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(status: number, message: string, body: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.body = body;
  }

  get kind(): string | null {
    return typeof this.body.error === 'string' ? this.body.error : null;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Calls the app's local API and parses `result` with `schema` (zod at the
 * boundary). Non-2xx answers throw `LocalApiError`; 300 (the sync question)
 * is an answer the caller handles, so it throws too, with its payload.
 */
export async function callApi<T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<{ result: T; message: string }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new LocalApiError(0, 'The app backend is not answering. Is rotki-premium-app still running?', {});
  }
  let json: Record<string, unknown> = {};
  try {
    json = (await response.json()) as Record<string, unknown>;
  } catch {
    json = {};
  }
  const message = typeof json.message === 'string' ? json.message : '';
  if (!response.ok) throw new LocalApiError(response.status, message || `Request failed (HTTP ${response.status})`, json);
  const parsed = schema.safeParse(json.result);
  if (!parsed.success) throw new LocalApiError(response.status, `Unexpected answer from the app backend for ${path}`, json);
  return { result: parsed.data, message };
}
