import { generateApiCredentials } from '@rotki-premium/protocol';
import { describe, expect, it } from 'vitest';
import { credentialProblem } from '../src/credential-check.ts';

describe('credentialProblem: damaged or swapped values, found offline', () => {
  const { apiKey, apiSecret } = generateApiCredentials();

  it('finds nothing wrong with a whole pair, with stray spaces around it', () => {
    expect(credentialProblem(apiKey, apiSecret)).toBeNull();
    expect(credentialProblem(` ${apiKey}\n`, `${apiSecret} `)).toBeNull();
  });

  it('says the secret is damaged when characters are missing or changed', () => {
    expect(credentialProblem(apiKey, apiSecret.slice(0, 40) + apiSecret.slice(44))).toBe('secret_damaged');
    const changed = apiSecret.slice(0, 20) + (apiSecret[20] === 'A' ? 'B' : 'A') + apiSecret.slice(21);
    expect(credentialProblem(apiKey, changed)).toBe('secret_damaged');
    expect(credentialProblem(apiKey, 'not base64!')).toBe('secret_damaged');
  });

  it('says the key is damaged when it is cut short or empty', () => {
    expect(credentialProblem(apiKey.slice(0, -3), apiSecret)).toBe('key_damaged');
    expect(credentialProblem('', apiSecret)).toBe('key_damaged');
    expect(credentialProblem(apiKey.slice(0, -1), apiSecret.slice(0, -4))).toBe('both_damaged');
  });

  it('recognises a key and a secret pasted into each other\'s field', () => {
    expect(credentialProblem(apiSecret, apiKey)).toBe('swapped');
  });

  it('accepts a secret of another form that is valid base64, as the rotki app does', () => {
    expect(credentialProblem('some-other-key', Buffer.alloc(64, 7).toString('base64'))).toBeNull();
  });
});
