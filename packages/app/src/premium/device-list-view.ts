import type { Device, DeviceReplacement, DeviceStatus } from '@rotki-premium/protocol';

/** The devices as the app shows them: each marked stale or not, with the server's replacements (issue 9). */
export interface DeviceListView {
  devices: (Device & { stale: boolean })[];
  limit: number;
  current_device_id: string;
  /** Null from a server that does not mark stale devices. */
  stale_after_days: number | null;
  replacements: DeviceReplacement[];
}

/** The server's device list with the stale marks and replacements of its device status (null: a server without the call). */
export function withStaleMarks(devices: Device[], limit: number, currentDeviceId: string, status: DeviceStatus | null): DeviceListView {
  const stale = new Set(status?.devices.filter((d) => d.stale).map((d) => d.device_identifier));
  return {
    devices: devices.map((device) => ({ ...device, stale: stale.has(device.device_identifier) })),
    limit,
    current_device_id: currentDeviceId,
    stale_after_days: status?.stale_after_days ?? null,
    replacements: status?.replacements ?? [],
  };
}
