/**
 * How many body bytes a route reads (issue 8). Every body is read before the
 * handler runs, so the limits bound the work one request can cause.
 */

/** `backup/range`: a 10,000,000-byte chunk plus the multipart envelope (PROTOCOL.md decision 11). */
export const PREMIUM_BODY_LIMIT = 11 * 1024 * 1024;

/**
 * The signed JSON and form bodies of the premium API (device calls, GET
 * bodies): the rotki app sends a few hundred bytes at most.
 */
export const SIGNED_BODY_LIMIT = 8 * 1024;

/** Any other route that does not set its own (website and console forms). */
export const DEFAULT_BODY_LIMIT = 16 * 1024;
