import { ENDPOINTS } from '@rotki-premium/protocol';
import { describe, expect, it } from 'vitest';
import { InvalidApiKeyFormatError, InvalidSecretFormatError } from '../src/errors.ts';
import { PremiumClient } from '../src/premium-client.ts';
import { buildSignedRequest, endpointUrl, signingKeyOf, type PremiumConnection } from '../src/signed-request.ts';
import { DEFAULT_USER_AGENT } from '../src/version.ts';

// The rotki app's test credentials and the vectors of PROTOCOL.md §4.7.
const VALID_PREMIUM_KEY = 'kWT/MaPHwM2W1KUEl2aXtkKG6wJfMW9KxI7SSerI6/QzchC45/GebPV9xYZy7f+VKBeh5nDRBJBCYn7WofMO4Q==';
const VALID_PREMIUM_SECRET =
  'TEF5dFFrOFcwSXNrM2p1aDdHZmlndFRoMTZQRWJhU2dacTdscUZSeHZTRmJLRm5ZaVRlV2NYU' +
  'llYR1lxMjlEdUtRdFptelpCYmlXSUZGRTVDNWx3NDNYbjIx';
const NONCE = 1700000000000;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const FILE_HASH = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ+/0=';

function connection(deviceIdentifier: string | null): PremiumConnection {
  return { baseUrl: 'https://premium.example.org', apiKey: VALID_PREMIUM_KEY, apiSecret: VALID_PREMIUM_SECRET, deviceIdentifier };
}

describe('requests without a device (as the rotki app sends them)', () => {
  it('GET limits: query string and signature', () => {
    const built = buildSignedRequest(connection(null), ENDPOINTS.limits, {}, NONCE);
    expect(built.method).toBe('GET');
    expect(built.url.toString()).toBe('https://premium.example.org/nest/1/limits?nonce=1700000000000');
    expect(built.signedString).toBe('nonce=1700000000000');
    expect(built.apiSign).toBe('Avk60EQLUsTxMoSZIEPedIVCp6NviMJlRYN82V+ZFulerfqlXon/Hzylau/EpJNp+uBk1uMe28KrAxnWlvjUPA==');
    expect(built.body).toBeUndefined();
    expect(built.headers).toMatchObject({
      'api-key': VALID_PREMIUM_KEY,
      'api-sign': built.apiSign,
      'user-agent': DEFAULT_USER_AGENT,
    });
  });

  it('GET devices', () => {
    const built = buildSignedRequest(connection(null), ENDPOINTS.listDevices, {}, NONCE);
    expect(built.url.search).toBe('?nonce=1700000000000');
    expect(built.apiSign).toBe('Df6TBQplf9IqPdjTu0AAat+6UKQNNdqb3ojdiGXYTOACdFK88RKF9iE+iqZGuDJH8EdlLkmdOVJ9eCyGyRExQQ==');
  });

  it('GET last_data_metadata carries a form body', () => {
    const built = buildSignedRequest(connection(null), ENDPOINTS.lastDataMetadata, {}, NONCE);
    expect(built.method).toBe('GET');
    expect(built.url.pathname).toBe('/api/1/last_data_metadata');
    expect(built.url.search).toBe('');
    expect(built.body?.toString()).toBe('nonce=1700000000000');
    expect(built.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(built.apiSign).toBe('qXhn+2wqxTO45yudilkJ08+yvEMOy1Bssxodrw0pwuudDDFGLn3MlWJ+GrXh61Dq4u6J6hgHPRz6EZQPxDUTRQ==');
  });

  it('POST devices/check carries a JSON body in parameter order', () => {
    const built = buildSignedRequest(connection(null), ENDPOINTS.checkDevice, { device_identifier: A }, NONCE);
    expect(built.method).toBe('POST');
    expect(built.url.pathname).toBe('/nest/1/devices/check');
    expect(built.body?.toString()).toBe(`{"device_identifier":"${A}","nonce":1700000000000}`);
    expect(built.headers['content-type']).toBe('application/json');
    expect(built.signedString).toBe(`device_identifier=${A}&nonce=1700000000000`);
    expect(built.apiSign).toBe('R8cC88VxYPm+8JXkIEUVQMqG0JK8nxaScbOSObloekDovhNwUWBSLiKuvxdM++9xIl3iGfwamd8IMv6KgqpLlw==');
  });

  it('PUT devices (register), with a non-ASCII name', () => {
    const built = buildSignedRequest(
      connection(null),
      ENDPOINTS.registerDevice,
      { platform: 'Linux', device_name: 'my laptop é', device_identifier: A },
      NONCE,
    );
    expect(built.method).toBe('PUT');
    expect(Object.keys(JSON.parse(built.body?.toString() ?? '{}') as object)).toEqual([
      'device_identifier',
      'device_name',
      'platform',
      'nonce',
    ]);
    expect(built.signedString).toBe(`device_identifier=${A}&device_name=my+laptop+%C3%A9&platform=Linux&nonce=1700000000000`);
    expect(built.apiSign).toBe('zzH6ZFoQwrbWhvqGkQz3ZlZv9aSK54yruiGE3vuSfKcfgBnBnBQApoTDpsp2RMMPm19QFvhGhY07Cgvw39XuEA==');
  });

  it('DELETE devices signs like the check', () => {
    const built = buildSignedRequest(connection(null), ENDPOINTS.deleteDevice, { device_identifier: A }, NONCE);
    expect(built.method).toBe('DELETE');
    expect(built.apiSign).toBe('R8cC88VxYPm+8JXkIEUVQMqG0JK8nxaScbOSObloekDovhNwUWBSLiKuvxdM++9xIl3iGfwamd8IMv6KgqpLlw==');
  });

  it('POST backup/range: multipart text fields in order, then the file part', () => {
    const params = { file_hash: FILE_HASH, last_modify_ts: 1699999999, compression: 'zlib', total_size: 25000000 };
    const first = buildSignedRequest(connection(null), ENDPOINTS.uploadBackupChunk, params, NONCE, {
      file: { field: 'chunk_data', filename: 'chunk', data: Buffer.from('CHUNK BYTES') },
      headers: { 'content-range': 'bytes 0-10/25000000' },
    });
    expect(first.apiSign).toBe('YI4I7oxgzLzHwlWewMVzTTDqCFNGGtCLNj/B/+qbZWOwrA9rUvAt8VPTQIh3lwkahpNJiz1DbdJITT+CyNkqxQ==');
    expect(first.headers['content-range']).toBe('bytes 0-10/25000000');
    const boundary = /^multipart\/form-data; boundary=([0-9a-f]{32})$/.exec(first.headers['content-type'] ?? '')?.[1];
    expect(boundary).toBeDefined();
    const body = first.body?.toString() ?? '';
    const names = [...body.matchAll(/; name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['file_hash', 'last_modify_ts', 'compression', 'total_size', 'nonce', 'chunk_data']);
    expect(body).toContain(`name="file_hash"\r\n\r\n${FILE_HASH}\r\n`);
    expect(body).toContain('name="chunk_data"; filename="chunk"\r\n\r\nCHUNK BYTES\r\n');
    expect(body.endsWith(`--${boundary}--\r\n`)).toBe(true);

    const later = buildSignedRequest(connection(null), ENDPOINTS.uploadBackupChunk, { ...params, upload_id: '12345678' }, NONCE);
    expect(later.apiSign).toBe('PWnF2aYGjSaE7jgSNKMYW4w+Jy0Voy293dXySvljH+xiRN/HiEKdPeVQNGcZ4FTZ2ZS84XwyoW8pws1n+uQ3kg==');
  });
});

// Signatures computed independently with Python (urlencode, hashlib, hmac) for S with the device added.
describe('requests naming this device (decision 7)', () => {
  it('puts device_identifier before nonce in the query string', () => {
    const built = buildSignedRequest(connection(B), ENDPOINTS.limits, {}, NONCE);
    expect(built.url.search).toBe(`?device_identifier=${B}&nonce=1700000000000`);
    expect(built.apiSign).toBe('pw999HQzhmWbQdqKZDLnDuEZik6+gflMgMQNLvCFv2ca5lOuwUQQxnziknU6aptBF5yndQi9s9aufM3NIoXxqA==');
  });

  it('signs GET devices with the device like the check vector (same S, same method)', () => {
    const built = buildSignedRequest(connection(A), ENDPOINTS.listDevices, {}, NONCE);
    expect(built.signedString).toBe(`device_identifier=${A}&nonce=1700000000000`);
    expect(built.apiSign).toBe('R8cC88VxYPm+8JXkIEUVQMqG0JK8nxaScbOSObloekDovhNwUWBSLiKuvxdM++9xIl3iGfwamd8IMv6KgqpLlw==');
  });

  it('puts device_identifier before nonce in the form body', () => {
    const built = buildSignedRequest(connection(B), ENDPOINTS.lastDataMetadata, {}, NONCE);
    expect(built.body?.toString()).toBe(`device_identifier=${B}&nonce=1700000000000`);
    expect(built.apiSign).toBe('NfNsRbNqzjfnrgA6zNuuJM13ALZzO/KBuLJ7I+gv/JB9DNkLf8dS68NM8uPeIRBbHiJMBHflbRspoOJVUq4pnQ==');
  });

  it('puts device_identifier before nonce among the multipart fields', () => {
    const built = buildSignedRequest(
      connection(B),
      ENDPOINTS.uploadBackupChunk,
      { file_hash: FILE_HASH, last_modify_ts: 1699999999, compression: 'zlib', total_size: 25000000, upload_id: '12345678' },
      NONCE,
    );
    expect(built.signedString.endsWith(`&upload_id=12345678&device_identifier=${B}&nonce=1700000000000`)).toBe(true);
    expect(built.apiSign).toBe('kqXlFrzCl5TPtUyzxabLj+Qka3SRsBCrizF3bJM1k0c1tXZYTETf0l4+pGbbUkqQYbKnqpZxco/CYGd9HiKzlA==');
  });

  it('does not add it where the endpoint names a device as its subject', () => {
    const built = buildSignedRequest(connection(B), ENDPOINTS.checkDevice, { device_identifier: A }, NONCE);
    expect(built.signedString).toBe(`device_identifier=${A}&nonce=1700000000000`);
    expect(built.apiSign).toBe('R8cC88VxYPm+8JXkIEUVQMqG0JK8nxaScbOSObloekDovhNwUWBSLiKuvxdM++9xIl3iGfwamd8IMv6KgqpLlw==');
  });
});

describe('request building rules', () => {
  it('refuses parameters the endpoint does not have, and a caller-made nonce', () => {
    expect(() => buildSignedRequest(connection(null), ENDPOINTS.limits, { device_identifier: A }, NONCE)).toThrow(TypeError);
    expect(() => buildSignedRequest(connection(null), ENDPOINTS.limits, { nonce: 1 }, NONCE)).toThrow(TypeError);
    expect(() =>
      buildSignedRequest(connection(null), ENDPOINTS.limits, {}, NONCE, { file: { field: 'f', filename: 'f', data: Buffer.alloc(1) } }),
    ).toThrow(TypeError);
    expect(() => buildSignedRequest(connection(null), ENDPOINTS.unlocks, {}, NONCE)).toThrow(TypeError);
  });

  it('keeps a path prefix of the base URL', () => {
    expect(endpointUrl('https://example.org/premium/', ENDPOINTS.checkDevice).toString()).toBe(
      'https://example.org/premium/nest/1/devices/check',
    );
    expect(() => endpointUrl('ftp://example.org', ENDPOINTS.limits)).toThrow(TypeError);
  });

  it('refuses secrets that are not strict padded standard base64', () => {
    for (const secret of ['', 'abc', 'YWJjZA', 'YWJjZA=', 'YW-_ZA==', 'YWJjZB==', ' YWJjZA==', `${VALID_PREMIUM_SECRET}\n`]) {
      expect(() => signingKeyOf(VALID_PREMIUM_KEY, secret), JSON.stringify(secret)).toThrow(InvalidSecretFormatError);
    }
    expect(signingKeyOf(VALID_PREMIUM_KEY, 'YWJjZA==').toString()).toBe('abcd');
  });

  it('refuses an empty API key or one a header cannot carry', () => {
    for (const key of ['', 'has space', 'line\nbreak', 'clé']) {
      expect(() => signingKeyOf(key, VALID_PREMIUM_SECRET)).toThrow(InvalidApiKeyFormatError);
    }
  });

  it('checks the credentials when a client is created', () => {
    const options = { baseUrl: 'http://127.0.0.1:1', apiKey: VALID_PREMIUM_KEY, deviceIdentifier: null };
    expect(() => new PremiumClient({ ...options, apiSecret: 'not base64!' })).toThrow(InvalidSecretFormatError);
    expect(new PremiumClient({ ...options, apiSecret: VALID_PREMIUM_SECRET }).deviceIdentifier).toBeNull();
  });
});
