/** How the server treats devices that stopped showing up (issue 9, item 8). */
export interface DevicePolicy {
  /** A device unseen for this many days is stale. */
  staleAfterDays: number;
  /** At the device limit, replace the longest-unseen stale device with the new one (off by default). */
  replaceStale: boolean;
}

export const DEFAULT_DEVICE_POLICY: DevicePolicy = Object.freeze({ staleAfterDays: 90, replaceStale: false });

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether a device last seen at `lastSeenAtMs` is stale at `nowMs`. */
export function isStale(policy: DevicePolicy, lastSeenAtMs: number, nowMs: number): boolean {
  return nowMs - lastSeenAtMs >= policy.staleAfterDays * DAY_MS;
}
