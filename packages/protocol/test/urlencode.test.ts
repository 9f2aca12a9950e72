import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, NestingTooDeepError, exceedsJsonDepth } from '../src/json-limits.ts';
import { pythonRepr, quotePlus, urlencode, type PythonValue } from '../src/urlencode.ts';

describe('Python-compatible urlencode (PROTOCOL.md §4.4)', () => {
  it.each([
    ['unreserved characters stay', 'AZaz09_.-~', 'AZaz09_.-~'],
    ['space becomes +', 'my laptop', 'my+laptop'],
    ['tilde stays (Python 3.7+)', '~home', '~home'],
    ["* ! ' ( ) are escaped unlike encodeURIComponent", "*!'()", '%2A%21%27%28%29'],
    ['slash and reserved characters are escaped', '/:+=&?', '%2F%3A%2B%3D%26%3F'],
    ['non-ASCII as uppercase UTF-8 percent bytes', 'é€', '%C3%A9%E2%82%AC'],
    ['astral characters as four bytes', '😀', '%F0%9F%98%80'],
    ['percent itself', '100%', '100%25'],
  ])('%s', (_name, input, expected) => {
    expect(quotePlus(input)).toBe(expected);
  });

  it('keeps insertion order and joins with = and &', () => {
    expect(
      urlencode([
        ['b', 1],
        ['a', 'x y'],
      ]),
    ).toBe('b=1&a=x+y');
  });

  it('prints Python scalars as str() does', () => {
    expect(
      urlencode([
        ['int', 1700000000000],
        ['t', true],
        ['f', false],
        ['none', null],
        ['float', 1.5],
        ['small', 1e-5],
      ]),
    ).toBe('int=1700000000000&t=True&f=False&none=None&float=1.5&small=1e-05');
  });

  it('decodes JSON \\u escapes before encoding, as the server re-encodes a JSON body', () => {
    const body = JSON.parse('{"device_name": "my laptop \\u00e9", "nonce": 1700000000000}') as Record<
      string,
      string | number
    >;
    expect(urlencode(Object.entries(body))).toBe('device_name=my+laptop+%C3%A9&nonce=1700000000000');
  });

  it('prints lists and dicts as a Python repr', () => {
    expect(pythonRepr([{ a: 'it\'s', b: [1, true, null] }])).toBe(`[{'a': "it's", 'b': [1, True, None]}]`);
    expect(pythonRepr('back\\slash\n')).toBe("'back\\\\slash\\n'");
  });
});

describe('urlencode on hostile input (issue 8)', () => {
  /** The former, character-by-character encoder: the reference the fast one must match. */
  function referenceQuotePlus(text: string): string {
    let out = '';
    for (const char of text) {
      if (char === ' ') out += '+';
      else if (/[A-Za-z0-9_.\-~]/.test(char)) out += char;
      else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  }

  it('matches the reference encoder on any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(quotePlus(text)).toBe(referenceQuotePlus(text));
      }),
      { numRuns: 500 },
    );
  });

  it(`refuses values nested deeper than ${MAX_JSON_DEPTH} levels instead of exhausting the stack`, () => {
    let value: PythonValue = [];
    for (let i = 0; i < 5000; i += 1) value = [value];
    expect(() => urlencode([['a', value]])).toThrow(NestingTooDeepError);
    let fine: PythonValue = [];
    for (let i = 0; i < MAX_JSON_DEPTH; i += 1) fine = [fine];
    expect(urlencode([['a', fine]])).toMatch(/^a=%5B/);
  });

  it('finds excessive nesting in raw JSON bytes, skipping strings', () => {
    expect(exceedsJsonDepth(Buffer.from(`{"a": ${'['.repeat(40)}${']'.repeat(40)}}`))).toBe(true);
    expect(exceedsJsonDepth(Buffer.from(`{"a": "${'['.repeat(40)}"}`))).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(`{"a": "\\"${'['.repeat(40)}"}`))).toBe(false);
    expect(exceedsJsonDepth(Buffer.from('{"device_identifier": "ab", "nonce": 1}'))).toBe(false);
  });
});
