import { expect } from 'vitest';
import type { HttpResult } from './rotki-app.ts';

/** A refusal in the shape the rotki app reads: the status, and a JSON object with an `error` text. */
export function expectError(result: HttpResult, status: number, message?: string | RegExp): string {
  expect({ status: result.status, body: result.text }).toMatchObject({ status });
  expect(result.headers['content-type']).toMatch(/^application\/json/);
  const body = result.json as { error?: unknown };
  expect(typeof body?.error).toBe('string');
  const error = body.error as string;
  if (typeof message === 'string') expect(error).toBe(message);
  else if (message !== undefined) expect(error).toMatch(message);
  return error;
}

/** A success: the status and the JSON body. */
export function expectJson(result: HttpResult, status: number, body: unknown): void {
  expect({ status: result.status, body: result.json }).toEqual({ status, body });
}
