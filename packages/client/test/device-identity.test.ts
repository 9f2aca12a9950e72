import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MACHINE_ID_ENV,
  defaultDeviceName,
  deviceIdentifier,
  hashDeviceIdentifier,
  machineId,
  parseIoregPlatformUuid,
  parseRegMachineGuid,
  platformName,
  sanitizeMachineId,
} from '../src/device-identity.ts';

// Computed independently with Python:
//   hmac.new(username.encode(), machine_id.encode(), hashlib.sha256).hexdigest()
// (key = user name, message = machine id, as py-machineid 0.8 hashed_id).
const VECTORS = [
  {
    username: 'alice',
    machine: '3d1219c7c4c5404aaa1f6d2a48adfda4',
    id: '447fc34dfb3f38b7c18a2f76a39111a37643eaae459a540fe7b25defd67888a8',
  },
  {
    username: 'yabirgb',
    machine: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    id: '9e9a8ac09d52e0124f6411d5f6495ac8912c5cdc728e15dddb983498351f9d10',
  },
  {
    username: 'Jürgen',
    machine: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    id: '928b1ab14e4eea4a9d1b7e57a275aa444a670bf902d0c25aa307bcac8624e403',
  },
];

describe('device identifier', () => {
  for (const vector of VECTORS) {
    it(`matches the reference HMAC for ${vector.username}`, () => {
      expect(hashDeviceIdentifier(vector.username, vector.machine)).toBe(vector.id);
    });
  }

  it('uses the machine id override, with whitespace removed', () => {
    const env = { [MACHINE_ID_ENV]: '  a1b2c3d4e5f6\n0718293a4b5c6d7e8f90\n' };
    expect(machineId(env)).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    expect(deviceIdentifier('yabirgb', env)).toBe(VECTORS[1]?.id);
  });

  it('differs per user name on one machine', () => {
    const env = { [MACHINE_ID_ENV]: 'same-machine' };
    expect(deviceIdentifier('alice', env)).not.toBe(deviceIdentifier('bob', env));
    expect(deviceIdentifier('alice', env)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('removes control characters and every kind of whitespace', () => {
    expect(sanitizeMachineId('\tab\u0000c d\u0085e\u00a0f\r\n')).toBe('abcdef');
  });

  const linuxSource = ['/var/lib/dbus/machine-id', '/etc/machine-id'].find(
    (path) => existsSync(path) && readFileSync(path, 'utf8').trim() !== '',
  );
  it.runIf(process.platform === 'linux' && linuxSource !== undefined)('reads the Linux machine id file', () => {
    const expected = readFileSync(linuxSource ?? '', 'utf8').replace(/\s/g, '');
    expect(machineId({}, 'linux')).toBe(expected);
  });

  it('reads IOPlatformUUID from ioreg output', () => {
    const output = [
      '+-o Root  <class IORegistryEntry, id 0x100000100, retain 28>',
      '  +-o MacBookPro18,3  <class IOPlatformExpertDevice, id 0x100000112, registered, matched, active, busy 0 (1 ms), retain 36>',
      '    {',
      '      "IOPlatformSerialNumber" = "C02XXXXXXXXX"',
      '      "IOPlatformUUID" = "6F9A1C44-2B7E-5D3A-9C11-0E8B7A6D5F42"',
      '    }',
    ].join('\n');
    expect(parseIoregPlatformUuid(output)).toBe('6F9A1C44-2B7E-5D3A-9C11-0E8B7A6D5F42');
    expect(parseIoregPlatformUuid('nothing here')).toBeNull();
  });

  it('reads MachineGuid from reg query output', () => {
    const output =
      '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    4c4c4544-0042-3510-8052-b4c04f4e4d32\r\n\r\n';
    expect(parseRegMachineGuid(output)).toBe('4c4c4544-0042-3510-8052-b4c04f4e4d32');
  });
});

describe('platform and device name', () => {
  it('names the platform as Python platform.system() does', () => {
    const expected: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', darwin: 'Darwin', win32: 'Windows' };
    const known = expected[process.platform];
    if (known !== undefined) expect(platformName()).toBe(known);
    expect(platformName()).not.toBe('Windows_NT');
  });

  it('uses the first label of the host name', () => {
    expect(defaultDeviceName('work-laptop.local')).toBe('work-laptop');
    expect(defaultDeviceName('desktop')).toBe('desktop');
  });

  it('falls back to a random UUID without a usable host name', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(defaultDeviceName('')).toMatch(uuid);
    expect(defaultDeviceName('localhost')).toMatch(uuid);
    expect(defaultDeviceName('')).not.toBe(defaultDeviceName(''));
  });

  it('keeps names within the 100-character limit', () => {
    expect([...defaultDeviceName('é'.repeat(150))]).toHaveLength(100);
  });
});
