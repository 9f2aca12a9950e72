import { describe, expect, it } from 'vitest';
import { decodeApiSecret, signEncoded, signParams, verifyEncoded, urlencode, type SignMethod } from '../src/index.ts';
import type { PythonValue } from '../src/urlencode.ts';

// The rotki app's own test credentials (tests/utils/premium.py), used by PROTOCOL.md §4.7.
const VALID_PREMIUM_SECRET =
  'TEF5dFFrOFcwSXNrM2p1aDdHZmlndFRoMTZQRWJhU2dacTdscUZSeHZTRmJLRm5ZaVRlV2NYU' +
  'llYR1lxMjlEdUtRdFptelpCYmlXSUZGRTVDNWx3NDNYbjIx';
const NONCE = 1700000000000;
const FILE_HASH = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ+/0=';
const DEVICE = 'a'.repeat(64);

interface Vector {
  name: string;
  method: SignMethod;
  params: [string, PythonValue][];
  encoded: string;
  sign: string;
}

const vectors: Vector[] = [
  {
    name: 'limits',
    method: 'limits',
    params: [['nonce', NONCE]],
    encoded: 'nonce=1700000000000',
    sign: 'Avk60EQLUsTxMoSZIEPedIVCp6NviMJlRYN82V+ZFulerfqlXon/Hzylau/EpJNp+uBk1uMe28KrAxnWlvjUPA==',
  },
  {
    name: 'devices (GET list)',
    method: 'devices',
    params: [['nonce', NONCE]],
    encoded: 'nonce=1700000000000',
    sign: 'Df6TBQplf9IqPdjTu0AAat+6UKQNNdqb3ojdiGXYTOACdFK88RKF9iE+iqZGuDJH8EdlLkmdOVJ9eCyGyRExQQ==',
  },
  {
    name: 'backup (GET)',
    method: 'backup',
    params: [['nonce', NONCE]],
    encoded: 'nonce=1700000000000',
    sign: 'rn2XonhlGZa4lK/ODlw57DxM+7xfKPV5I2LzQ4jnF/KSWHVQVF7tBRT7UUKe/zUH1aTwC95N2hhS2iWSLEnYug==',
  },
  {
    name: 'last_data_metadata',
    method: 'last_data_metadata',
    params: [['nonce', NONCE]],
    encoded: 'nonce=1700000000000',
    sign: 'qXhn+2wqxTO45yudilkJ08+yvEMOy1Bssxodrw0pwuudDDFGLn3MlWJ+GrXh61Dq4u6J6hgHPRz6EZQPxDUTRQ==',
  },
  {
    name: 'statistics_rendererv2',
    method: 'statistics_rendererv2',
    params: [
      ['version', 16],
      ['nonce', NONCE],
    ],
    encoded: 'version=16&nonce=1700000000000',
    sign: 'vCH/CmEhOUn/bnVg8pdK1df/kisrxiQLkZq75MevvA8Bbn4LvO1F/g6t889oB7e3dCfObKP4KdxE30iJl5iUhw==',
  },
  {
    name: 'devices (check/delete)',
    method: 'devices',
    params: [
      ['device_identifier', DEVICE],
      ['nonce', NONCE],
    ],
    encoded: `device_identifier=${DEVICE}&nonce=1700000000000`,
    sign: 'R8cC88VxYPm+8JXkIEUVQMqG0JK8nxaScbOSObloekDovhNwUWBSLiKuvxdM++9xIl3iGfwamd8IMv6KgqpLlw==',
  },
  {
    name: 'devices (register)',
    method: 'devices',
    params: [
      ['device_identifier', DEVICE],
      ['device_name', 'my laptop é'],
      ['platform', 'Linux'],
      ['nonce', NONCE],
    ],
    encoded: `device_identifier=${DEVICE}&device_name=my+laptop+%C3%A9&platform=Linux&nonce=1700000000000`,
    sign: 'zzH6ZFoQwrbWhvqGkQz3ZlZv9aSK54yruiGE3vuSfKcfgBnBnBQApoTDpsp2RMMPm19QFvhGhY07Cgvw39XuEA==',
  },
  {
    name: 'backup/range (first chunk)',
    method: 'backup/range',
    params: [
      ['file_hash', FILE_HASH],
      ['last_modify_ts', 1699999999],
      ['compression', 'zlib'],
      ['total_size', 25000000],
      ['nonce', NONCE],
    ],
    encoded:
      'file_hash=q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ%2B%2F0%3D&last_modify_ts=1699999999' +
      '&compression=zlib&total_size=25000000&nonce=1700000000000',
    sign: 'YI4I7oxgzLzHwlWewMVzTTDqCFNGGtCLNj/B/+qbZWOwrA9rUvAt8VPTQIh3lwkahpNJiz1DbdJITT+CyNkqxQ==',
  },
  {
    name: 'backup/range (later chunk)',
    method: 'backup/range',
    params: [
      ['file_hash', FILE_HASH],
      ['last_modify_ts', 1699999999],
      ['compression', 'zlib'],
      ['total_size', 25000000],
      ['upload_id', '12345678'],
      ['nonce', NONCE],
    ],
    encoded:
      'file_hash=q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ%2B%2F0%3D&last_modify_ts=1699999999' +
      '&compression=zlib&total_size=25000000&upload_id=12345678&nonce=1700000000000',
    sign: 'PWnF2aYGjSaE7jgSNKMYW4w+Jy0Voy293dXySvljH+xiRN/HiEKdPeVQNGcZ4FTZ2ZS84XwyoW8pws1n+uQ3kg==',
  },
  {
    name: 'watchers (GET, body {})',
    method: 'watchers',
    params: [],
    encoded: '',
    sign: 'hPQI+Ae3/01dT4GL0QiChYYQEt04BuxwnhvktXwMqxSBEpAuB33XCbHweCp3HIIADFyRfDV94V0s9CnkYArdnA==',
  },
  {
    name: 'watchers (PUT one maker-vault watcher)',
    method: 'watchers',
    params: [
      [
        'watchers',
        [{ type: 'makervault_collateralization_ratio', args: { ratio: '200.5', op: 'gt', vault_id: '24' } }],
      ],
    ],
    encoded:
      'watchers=%5B%7B%27type%27%3A+%27makervault_collateralization_ratio%27%2C+%27args%27%3A+%7B%27ratio%27%3A+' +
      '%27200.5%27%2C+%27op%27%3A+%27gt%27%2C+%27vault_id%27%3A+%2724%27%7D%7D%5D',
    sign: 'EHAGnXkvT5Z+JSN/vTdKO09rnoyFI8saCOZSYsxn9QdhdMPmrObsPQcIZKDyz00fgAuqvzF4NYp1jEoLEG3GOQ==',
  },
];

describe('request signing (PROTOCOL.md §4.7 vectors)', () => {
  const secret = decodeApiSecret(VALID_PREMIUM_SECRET);
  if (secret === null) throw new Error('the vector secret must decode');

  for (const vector of vectors) {
    it(`encodes and signs ${vector.name} as the rotki app does`, () => {
      expect(urlencode(vector.params)).toBe(vector.encoded);
      expect(signParams(secret, vector.method, vector.params)).toBe(vector.sign);
      expect(verifyEncoded(secret, vector.method, vector.encoded, vector.sign)).toBe(true);
    });
  }

  it('refuses a signature over a tampered parameter string', () => {
    const tampered = 'nonce=1700000000001';
    expect(verifyEncoded(secret, 'limits', tampered, vectors[0]!.sign)).toBe(false);
  });

  it('refuses a signature made for another sign method family', () => {
    // devices and last_data_metadata sign the same string, but with hex and raw digests.
    const devicesSign = signEncoded(secret, 'devices', 'nonce=1700000000000');
    expect(verifyEncoded(secret, 'last_data_metadata', 'nonce=1700000000000', devicesSign)).toBe(false);
  });

  it('refuses a signature of another length without throwing', () => {
    expect(verifyEncoded(secret, 'limits', 'nonce=1', 'short')).toBe(false);
  });
});
