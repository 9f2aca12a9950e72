/**
 * Limits on the JSON bodies a server reads before it knows who sent them.
 * Real requests (the rotki app's and the website's) nest a few levels at most.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when the JSON text opens more than `limit` nested arrays or objects.
 * One pass over the bytes, skipping strings; it does not validate the JSON
 * (the parser does that next), so it is safe on any input.
 */
export function exceedsJsonDepth(bytes: Uint8Array, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > limit) return true;
    } else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && depth > 0) {
      depth -= 1;
    }
  }
  return false;
}

/** A value nests deeper than MAX_JSON_DEPTH (thrown by encoders that walk it). */
export class NestingTooDeepError extends Error {
  constructor(limit: number = MAX_JSON_DEPTH) {
    super(`the body nests deeper than ${limit} levels`);
    this.name = 'NestingTooDeepError';
  }
}
