/**
 * Python-compatible `urllib.parse.urlencode`, the function that builds the
 * string the rotki app signs (PROTOCOL.md §4.4).
 *
 * Python applies `quote_plus(str(value), safe='')` to every key and value:
 * only `A-Z a-z 0-9 _ . - ~` stay as they are, a space becomes `+`, and every
 * other UTF-8 byte becomes `%XX` with uppercase hex.
 */

import { MAX_JSON_DEPTH, NestingTooDeepError } from './json-limits.ts';

/** A value as the rotki app puts it into a signed parameter list. */
export type PythonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | PythonValue[]
  | { [key: string]: PythonValue };

/** 1 for the bytes that stand for themselves: `A-Z a-z 0-9 _ . - ~`. */
const UNRESERVED_BYTES = Uint8Array.from({ length: 256 }, (_, byte) => (/[A-Za-z0-9_.\-~]/.test(String.fromCharCode(byte)) && byte < 0x80 ? 1 : 0));
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * `urllib.parse.quote_plus(text, safe='')`, in one pass over the UTF-8 bytes
 * into one buffer (linear in the input: a signed body is re-encoded before its
 * signature is checked, so this must stay cheap for any body the limits let through).
 */
export function quotePlus(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let at = 0;
  for (const byte of bytes) {
    if (UNRESERVED_BYTES[byte] === 1) {
      out[at++] = byte;
    } else if (byte === 0x20) {
      out[at++] = 0x2b;
    } else {
      out[at++] = 0x25;
      out[at++] = HEX_DIGITS[byte >> 4] as number;
      out[at++] = HEX_DIGITS[byte & 15] as number;
    }
  }
  return out.toString('latin1', 0, at);
}

/** Python's `repr()` of a string: single quotes unless the text holds one and no double quote. */
function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out + quote;
}

/** Python's `repr()` of a float: shortest round-trip digits, `1e-05` style exponents. */
function reprFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent = '0'] = value.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}

/**
 * `str(value)` as Python prints it. Integers are JS safe integers or bigints;
 * a non-integer number prints as a Python float.
 */
export function pythonStr(value: PythonValue): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

/**
 * `repr(value)` as Python prints it (used inside lists and dicts). Refuses
 * values nested deeper than MAX_JSON_DEPTH rather than exhausting the stack.
 */
export function pythonRepr(value: PythonValue, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new NestingTooDeepError();
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? value.toString() : reprFloat(value);
  if (typeof value === 'string') return reprString(value);
  if (Array.isArray(value)) return `[${value.map((item) => pythonRepr(item, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${reprString(key)}: ${pythonRepr(item, depth + 1)}`);
  return `{${entries.join(', ')}}`;
}

/** `urllib.parse.urlencode(pairs)` over pairs in the order given. */
export function urlencode(pairs: Iterable<readonly [string, PythonValue]>): string {
  const parts: string[] = [];
  for (const [key, value] of pairs) {
    parts.push(`${quotePlus(key)}=${quotePlus(pythonStr(value))}`);
  }
  return parts.join('&');
}
