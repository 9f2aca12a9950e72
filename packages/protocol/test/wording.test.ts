import { describe, expect, it } from 'vitest';
import { countOf, deviceReplacementText, formatAgo, formatBytes, formatMiB, formatUtc, formatWait, plural, staleDeviceText } from '../src/wording.ts';

describe('message numbers', () => {
  it('agree in number', () => {
    expect(plural(1, 'device')).toBe('1 device');
    expect(plural(2, 'device')).toBe('2 devices');
    expect(plural(0, 'device')).toBe('0 devices');
    expect(plural(1200, 'chunk')).toBe('1,200 chunks');
  });

  it('count against a limit, and say when the plan includes none', () => {
    expect(countOf(1, 1, 'device')).toBe('1 of 1 device');
    expect(countOf(1, 2, 'device')).toBe('1 of 2 devices');
    expect(countOf(1, 0, 'device')).toBe('1 device (your plan includes none)');
  });

  it('give sizes in binary units as people read them', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1,023 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(22_355_276)).toBe('21.3 MiB');
    expect(formatBytes(150 * 1_048_576)).toBe('150 MiB');
    expect(formatMiB(150)).toBe('150 MiB');
    expect(formatMiB(1024)).toBe('1 GiB');
  });

  it('give waits in minutes once they pass one, rounded up', () => {
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(0.2)).toBe('1 second');
    expect(formatWait(45)).toBe('45 seconds');
    expect(formatWait(60)).toBe('1 minute');
    expect(formatWait(893)).toBe('15 minutes');
    expect(formatWait(3 * 3600)).toBe('3 hours');
  });

  it('say how long ago, rounded down, and a moment to the second in UTC', () => {
    const now = 1_764_684_000;
    expect(formatAgo(now - 3, now)).toBe('just now');
    expect(formatAgo(now + 30, now)).toBe('just now');
    expect(formatAgo(now + 3600, now)).toBe('in the future');
    expect(formatAgo(now - 45, now)).toBe('45 seconds ago');
    expect(formatAgo(now - 119, now)).toBe('1 minute ago');
    expect(formatAgo(now - 3 * 3600 - 59, now)).toBe('3 hours ago');
    expect(formatAgo(now - 3 * 86_400, now)).toBe('3 days ago');
    expect(formatUtc(1_764_684_065)).toBe('2025-12-02 14:01:05 UTC');
  });

  it('mark a stale device in whole days and say which device replaced it', () => {
    const now = 1_764_684_000;
    expect(staleDeviceText(now - 143 * 86_400 - 3600, now)).toBe('Stale — not seen for 143 days');
    expect(staleDeviceText(now - 86_400, now)).toBe('Stale — not seen for 1 day');
    expect(deviceReplacementText('Old laptop', 'Jul 12, 2026', 'New PC', 'Dec 2, 2026')).toBe(
      'Old laptop (unseen since Jul 12, 2026) was replaced by New PC on Dec 2, 2026',
    );
  });
});
