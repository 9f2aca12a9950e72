import { formatAgo } from '@rotki-premium/protocol/wording';

export function formatDateTime(unixSeconds: number): string {
  if (unixSeconds <= 0) return 'never';
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A moment to the second in local time, and how long ago: "Dec 2, 2026, 2:01:05 PM (3 minutes ago)". */
export function formatMoment(unixSeconds: number, nowMs: number = Date.now()): string {
  if (unixSeconds <= 0) return 'never';
  const local = new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return `${local} (${formatAgo(unixSeconds, Math.floor(nowMs / 1000))})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
