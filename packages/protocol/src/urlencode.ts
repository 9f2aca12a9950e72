/**
 * Python-compatible `urllib.parse.urlencode`, the function that builds the
 * string the rotki app signs (PROTOCOL.md §4.4).
 *
 * Python applies `quote_plus(str(value), safe='')` to every key and value:
 * only `A-Z a-z 0-9 _ . - ~` stay as they are, a space becomes `+`, and every
 * other UTF-8 byte becomes `%XX` with uppercase hex.
 */

/** A value as the rotki app puts it into a signed parameter list. */
export type PythonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | PythonValue[]
  | { [key: string]: PythonValue };

const UNRESERVED = /[A-Za-z0-9_.\-~]/;

/** `urllib.parse.quote_plus(text, safe='')`. */
export function quotePlus(text: string): string {
  let out = '';
  for (const char of text) {
    if (char === ' ') {
      out += '+';
    } else if (UNRESERVED.test(char)) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
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

/** `repr(value)` as Python prints it (used inside lists and dicts). */
export function pythonRepr(value: PythonValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? value.toString() : reprFloat(value);
  if (typeof value === 'string') return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${reprString(key)}: ${pythonRepr(item)}`);
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
