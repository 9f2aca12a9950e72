import { describe, expect, it } from 'vitest';
import {
  API_KEY_PATTERN,
  API_SECRET_PATTERN,
  decodeApiSecret,
  generateApiCredentials,
  isWellFormedApiKey,
  isWellFormedApiSecret,
} from '../src/credentials.ts';

describe('credential format (PROTOCOL.md decision 10)', () => {
  it('generates a recognisable key and a canonical base64 secret', () => {
    const { apiKey, apiSecret } = generateApiCredentials();
    expect(apiKey).toMatch(/^rpk_[A-Za-z0-9_-]{38}$/);
    expect(apiSecret).toMatch(/^rPSk[A-Za-z0-9+/]{72}$/);
    const decoded = decodeApiSecret(apiSecret);
    expect(decoded?.length).toBe(57);
    expect(decoded?.toString('base64')).toBe(apiSecret);
    expect(isWellFormedApiKey(apiKey)).toBe(true);
    expect(isWellFormedApiSecret(apiSecret)).toBe(true);
  });

  it('never repeats a pair', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiCredentials().apiKey));
    expect(keys.size).toBe(200);
  });

  it('detects a single changed character through the checksum', () => {
    const { apiKey, apiSecret } = generateApiCredentials();
    const flip = (text: string, at: number) => {
      const replacement = text[at] === 'A' ? 'B' : 'A';
      return text.slice(0, at) + replacement + text.slice(at + 1);
    };
    expect(isWellFormedApiKey(flip(apiKey, 10))).toBe(false);
    expect(isWellFormedApiSecret(flip(apiSecret, 30))).toBe(false);
  });

  it('finds leaked credentials in free text with the documented patterns', () => {
    const { apiKey, apiSecret } = generateApiCredentials();
    const text = `config: key=${apiKey}\nsecret="${apiSecret}" trailing`;
    expect([...text.matchAll(API_KEY_PATTERN)].map((m) => m[0])).toEqual([apiKey]);
    expect([...text.matchAll(API_SECRET_PATTERN)].map((m) => m[0])).toEqual([apiSecret]);
  });

  it('decodes only strict padded standard base64', () => {
    expect(decodeApiSecret('YWJj')?.toString()).toBe('abc');
    expect(decodeApiSecret('YWI=')?.toString()).toBe('ab');
    expect(decodeApiSecret('YWI')).toBeNull(); // missing padding
    expect(decodeApiSecret('YW-_')).toBeNull(); // url-safe alphabet
    expect(decodeApiSecret('not base64!')).toBeNull();
    expect(decodeApiSecret('')).toBeNull();
  });
});
