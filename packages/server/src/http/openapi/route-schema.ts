import { ErrorResponse } from '@rotki-premium/protocol';
import { WebError } from '@rotki-premium/protocol/web-api';
import { z } from 'zod';

/**
 * A route's `schema`: its summary, the zod schemas of its input (which its
 * handler parses with) and of its answers by status, plus the area's error
 * shape for every 4xx and 5xx.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  /** Answers by status; a content-type map for what is not JSON. */
  response: Record<number, z.ZodType | ContentResponse>;
  consumes?: string[];
}

export interface ContentResponse {
  description: string;
  content: Record<string, { schema: z.ZodType }>;
}

function withErrors(doc: RouteDoc, error: z.ZodType) {
  return { ...doc, response: { ...doc.response, '4xx': error, '5xx': error } };
}

/** A premium API route: errors are `{"error": "…", "code"?: "…"}`. */
export function premiumRoute(doc: RouteDoc) {
  return withErrors(doc, ErrorResponse);
}

/** A website or console API route: errors are `{"error": {"code", "message", "field"?}}`. */
export function webRoute(doc: RouteDoc) {
  return withErrors(doc, WebError);
}

/** An answer that is not JSON (a PDF, CSV, the Prometheus text format). */
export function contentResponse(description: string, contentType: string, schema: z.ZodType = z.string()): ContentResponse {
  return { description, content: { [contentType]: { schema } } };
}

/** Path parameters `{ id }`, a positive integer. */
export const IdParam = z.object({ id: z.coerce.number().int().positive() });
