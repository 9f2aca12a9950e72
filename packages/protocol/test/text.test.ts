import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceIdentifier, DeviceName, Platform } from '../src/schemas.ts';
import { DeviceIdParam, DeviceLabel, LoginRequest } from '../src/web-api.ts';
import { printable, printableLines, textMessages, textProblem } from '../src/text.ts';

const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)].map((c) =>
  String.fromCharCode(c),
);

describe('text rules (issue 8)', () => {
  it('refuses every C0 and C1 control character, NUL included, in a line', () => {
    for (const char of CONTROLS) expect(textProblem(`a${char}b`)).toBe(textMessages.control);
  });

  it('lets multi-line text keep line feeds and tabs, and nothing else below U+0020', () => {
    expect(textProblem('one\ntwo\tthree', 'multiline')).toBeNull();
    expect(textProblem('one\r\ntwo', 'multiline')).toBe(textMessages.control);
    expect(textProblem('a\u0000', 'multiline')).toBe(textMessages.control);
  });

  it('refuses lone surrogates and accepts pairs', () => {
    expect(textProblem('a\ud800')).toBe(textMessages.surrogate);
    expect(textProblem('\udc00a')).toBe(textMessages.surrogate);
    expect(textProblem('😀 ok')).toBeNull();
  });

  it('refuses names that render empty or reorder what follows', () => {
    for (const name of ['\u200b', '\u200b\u200c\u200d', ' \u2060 ', '\ufeff', '\u3164', '\u115f']) {
      expect(textProblem(name, 'name')).toBe(textMessages.empty);
    }
    for (const name of ['a\u202eb', 'a\u202ab', 'x\u2066y', 'x\u2069']) expect(textProblem(name, 'name')).toBe(textMessages.bidi);
    for (const name of ['Laptop', 'Büro-PC', '我的电脑', 'ноутбук', '💻 work', 'a\u200db']) expect(textProblem(name, 'name')).toBeNull();
  });

  it('holds in the request schemas of every API', () => {
    expect(DeviceIdentifier.safeParse('ab\u0000').success).toBe(false);
    expect(DeviceName.safeParse('\u200b').success).toBe(false);
    expect(DeviceName.safeParse('  laptop ').data).toBe('laptop');
    expect(Platform.safeParse('Linux\u001b[2J').success).toBe(false);
    expect(DeviceLabel.safeParse('x\u202e').success).toBe(false);
    expect(LoginRequest.safeParse({ username: 'alice\u0000', password: 'pw' }).success).toBe(false);
  });

  it('accepts only a plain decimal device id in a path', () => {
    expect(DeviceIdParam.safeParse({ id: '19' }).data).toEqual({ id: 19 });
    for (const id of ['0x13', '19e0', '+19', '019', ' 19', '1.0', '-1', '0', '9'.repeat(17)]) {
      expect(DeviceIdParam.safeParse({ id }).success).toBe(false);
    }
  });

  it('never accepts a string with a control character or a lone surrogate (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom(...CONTROLS, '\ud800', '\udfff'), fc.string({ unit: 'binary' }), (before, bad, after) => {
        expect(textProblem(`${before}${bad}${after}`)).not.toBeNull();
      }),
    );
  });

  it('prints stored text without any byte a terminal would act on', () => {
    expect(printable('\u001b]0;owned\u0007x')).toBe('\\u{1b}]0;owned\\u{7}x');
    expect(printable('a\u202eb')).toBe('a\\u{202e}b');
    expect(printable('\u3164')).toBe('"\u3164"');
    expect(printableLines('one\ntwo\u0000')).toBe('one\ntwo\\u{0}');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        // eslint-disable-next-line no-control-regex -- the output must hold none of these
        expect(printableLines(text)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
    );
  });
});
