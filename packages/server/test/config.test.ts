import { describe, expect, it } from 'vitest';
import { buildConfig, defaultSiteUrl, readSecrets } from '../src/config/config.ts';

describe('buildConfig', () => {
  it('fills the documented defaults', () => {
    const config = buildConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4243,
      databaseUrl: '',
      siteUrl: 'http://127.0.0.1:4243',
      nonceWindowMs: 300_000,
      failedSignatureLimit: 20,
      failedSignatureWindowMs: 60_000,
      logLevel: 'info',
      trustProxy: false,
      passwordHashCost: 17,
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('marks devices stale after 90 days and replaces none unless asked (issue 9)', () => {
    expect(buildConfig({}).devices).toEqual({ staleAfterDays: 90, replaceStale: false });
    expect(buildConfig({ staleDeviceDays: '30', replaceStaleDevices: true }).devices).toEqual({ staleAfterDays: 30, replaceStale: true });
    expect(buildConfig({ replaceStaleDevices: 'false' }).devices.replaceStale).toBe(false);
  });

  it('reads numbers given as text, as the command line passes them', () => {
    const config = buildConfig({ port: '0', nonceWindowSeconds: '60', failedSignatureLimit: '5', trustProxy: 'true', passwordHashCost: '12' });
    expect(config).toMatchObject({ port: 0, nonceWindowMs: 60_000, failedSignatureLimit: 5, trustProxy: 1, passwordHashCost: 12 });
  });

  it.each([
    [{ port: 'http' }, 'port must be a whole number ≥ 0, got "http"'],
    [{ port: 70000 }, 'port must be at most 65535, got 70000'],
    [{ nonceWindowSeconds: '0' }, 'nonce window must be a whole number ≥ 1, got "0"'],
    [{ nonceWindowSeconds: '1.5' }, 'nonce window must be a whole number ≥ 1, got "1.5"'],
    [{ failedSignatureLimit: '-1' }, 'failed signature limit must be a whole number ≥ 1, got "-1"'],
    [{ passwordHashCost: '9' }, 'password hash cost must be a whole number ≥ 10, got "9"'],
    [{ passwordHashCost: '131072' }, 'password hash cost must be at most 20, got 131072'],
    [{ staleDeviceDays: '0' }, 'stale device days must be a whole number ≥ 1, got "0"'],
    [{ replaceStaleDevices: 'yes please' }, '--replace-stale-devices takes true or false, got "yes please"'],
  ])('refuses %j with a message naming the option', (input, message) => {
    expect(() => buildConfig(input)).toThrow(message);
  });

  it('strips trailing slashes from the site URL and derives a reachable one for wildcard hosts', () => {
    expect(buildConfig({ siteUrl: 'https://premium.example.org//' }).siteUrl).toBe('https://premium.example.org');
    expect(buildConfig({ host: '0.0.0.0', port: 8080 }).siteUrl).toBe('http://127.0.0.1:8080');
    expect(defaultSiteUrl('::1', 8080)).toBe('http://[::1]:8080');
  });
});

describe('TLS', () => {
  it('serves plain HTTP unless both a certificate and a key are given', () => {
    expect(buildConfig({}).tls).toBeNull();
    expect(() => buildConfig({ tlsCert: 'cert.pem' })).toThrow('--tls-cert and --tls-key must be given together');
    expect(() => buildConfig({ tlsKey: 'key.pem' })).toThrow('--tls-cert and --tls-key must be given together');
  });

  it('resolves the files and makes the default site URL https', () => {
    const config = buildConfig({ tlsCert: 'cert.pem', tlsKey: '/etc/rotki/key.pem', port: 8443 });
    expect(config.tls).toEqual({ certFile: expect.stringMatching(/^\/.*\/cert\.pem$/), keyFile: '/etc/rotki/key.pem' });
    expect(config.siteUrl).toBe('https://127.0.0.1:8443');
  });
});

describe('readSecrets', () => {
  it('takes the master key from the environment only', () => {
    expect(readSecrets({ ROTKI_PREMIUM_MASTER_KEY: 'abc' })).toEqual({ masterKey: 'abc' });
    expect(readSecrets({})).toEqual({ masterKey: undefined });
  });
});
