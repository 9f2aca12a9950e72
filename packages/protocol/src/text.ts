import { z } from 'zod';

/**
 * The text rules every text field obeys, in one place (issue 8): applied by
 * the request schemas of every API, on every database.
 *
 * - No C0 or C1 control character (U+0000–U+001F, U+007F–U+009F), NUL
 *   included: PostgreSQL refuses NUL in text, and escape sequences printed in
 *   a terminal rewrite it. Multi-line fields allow line feed and tab.
 * - No lone UTF-16 surrogate: it has no UTF-8 form.
 * - Names shown to other people (devices, labels) take no bidirectional
 *   override, embedding or isolate, and must render something: a name made
 *   only of spaces and invisible characters is refused.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI. */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
/** What renders as nothing: white space, and default-ignorable code points (zero-width characters, joiners, fillers). */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

export const textMessages = {
  control: 'must not contain control characters',
  surrogate: 'must be valid Unicode text',
  bidi: 'must not contain bidirectional override characters',
  empty: 'must contain visible characters',
} as const;

export type TextKind = 'line' | 'multiline' | 'name';

/** Why `value` breaks the rules of its kind; null when it obeys them. */
export function textProblem(value: string, kind: TextKind = 'line'): string | null {
  if ((kind === 'multiline' ? CONTROL_BUT_LINES : CONTROL).test(value)) return textMessages.control;
  if (LONE_SURROGATE.test(value)) return textMessages.surrogate;
  if (kind === 'name') {
    if (BIDI_CONTROL.test(value)) return textMessages.bidi;
    if (value.replace(INVISIBLE, '') === '') return textMessages.empty;
  }
  return null;
}

function ruled(schema: z.ZodString, kind: TextKind): z.ZodString {
  return schema.superRefine((value, context) => {
    const problem = textProblem(value, kind);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });
}

/** One line of text: no control characters, valid Unicode. */
export function textLine(schema: z.ZodString = z.string()): z.ZodString {
  return ruled(schema, 'line');
}

/** Free text that may hold line feeds and tabs, and nothing else below U+0020. */
export function multilineText(schema: z.ZodString = z.string()): z.ZodString {
  return ruled(schema, 'multiline');
}

/** A name other people see (a device, a label): one line that renders something and cannot reorder what follows it. */
export function displayName(schema: z.ZodString = z.string()): z.ZodString {
  return ruled(schema, 'name');
}

const NON_PRINTABLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Terminal output made safe: control characters (line feeds and tabs excepted),
 * zero-width and bidirectional controls and lone surrogates become visible
 * `\u{…}` escapes, so stored text cannot move the cursor, retitle the
 * terminal or reorder what follows it.
 */
export function printableLines(text: string): string {
  return text.replace(NON_PRINTABLE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

/** One field made safe to print (see printableLines); a value that would print as nothing is shown quoted. */
export function printable(value: string): string {
  const escaped = printableLines(value).replace(/\n/g, '\\u{a}');
  return escaped.replace(INVISIBLE, '') === '' ? JSON.stringify(escaped) : escaped;
}
