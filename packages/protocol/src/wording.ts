/**
 * How numbers read in every message of the server, the website, the app and
 * the command lines: plurals that agree, sizes in binary units (the backup
 * quota counts MiB of 1,048,576 bytes), waits in minutes once they pass one.
 * Free of Node and browser APIs, so every front end imports it.
 */

/** "1 device", "2 devices"; `many` for irregular plurals. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? one : many}`;
}

/** "1 of 2 devices", "2 of 2 devices"; with no plan (limit 0), "1 device (your plan includes none)". */
export function countOf(count: number, limit: number, one: string, many = `${one}s`): string {
  if (limit <= 0) return `${plural(count, one, many)} (your plan includes none)`;
  return `${count.toLocaleString('en-GB')} of ${plural(limit, one, many)}`;
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A size as people read it: "512 bytes", "1.5 KiB", "21.3 MiB" (binary units, one decimal below 100). */
export function formatBytes(bytes: number): string {
  if (bytes === 1) return '1 byte';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value.toLocaleString('en-GB')} bytes`;
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${UNITS[unit]}`;
}

/** A quota given in MiB: "150 MiB", "1 GiB". */
export function formatMiB(mebibytes: number): string {
  return formatBytes(mebibytes * 1_048_576);
}

/** How long to wait: "30 seconds", "1 minute", "15 minutes" (rounded up, never "893 seconds"). */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return plural(whole, 'second');
  const minutes = Math.ceil(whole / 60);
  if (minutes < 120) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

/**
 * How long ago, rounded down: "just now" (under 10 seconds), "45 seconds ago",
 * "1 minute ago", "3 hours ago", "2 days ago"; "in the future" for a time
 * ahead of `nowSeconds` by more than a minute (another device's clock).
 */
export function formatAgo(thenSeconds: number, nowSeconds: number): string {
  const elapsed = Math.floor(nowSeconds - thenSeconds);
  if (elapsed < -60) return 'in the future';
  if (elapsed < 10) return 'just now';
  if (elapsed < 60) return `${plural(elapsed, 'second')} ago`;
  const minutes = Math.floor(elapsed / 60);
  if (minutes < 60) return `${plural(minutes, 'minute')} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${plural(hours, 'hour')} ago`;
  return `${plural(Math.floor(hours / 24), 'day')} ago`;
}

/** A moment to the second, the same on every machine: "2026-12-02 14:01:05 UTC". */
export function formatUtc(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A stale device's mark: "Stale — not seen for 143 days" (whole days, rounded down). */
export function staleDeviceText(lastSeenSeconds: number, nowSeconds: number): string {
  const days = Math.max(0, Math.floor((nowSeconds - lastSeenSeconds) / 86_400));
  return `Stale — not seen for ${plural(days, 'day')}`;
}

/** "Old laptop (unseen since Jul 12, 2026) was replaced by New PC on Dec 2, 2026"; dates as the front end writes them. */
export function deviceReplacementText(replaced: string, unseenSince: string, replacement: string, on: string): string {
  return `${replaced} (unseen since ${unseenSince}) was replaced by ${replacement} on ${on}`;
}
