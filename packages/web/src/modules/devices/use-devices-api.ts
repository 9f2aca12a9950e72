import { deviceUrl, WEB_API_PATHS, WebDevice, WebDeviceList, WebSuccess } from '@rotki-premium/protocol/web-api';
import { call } from '../core/use-web-api.ts';

export function useDevicesApi() {
  return {
    fetchDevices: () => call('GET', WEB_API_PATHS.devices, WebDeviceList),
    renameDevice: (id: number, label: string) => call('PATCH', deviceUrl(id), WebDevice, { label }),
    removeDevice: (id: number) => call('DELETE', deviceUrl(id), WebSuccess),
  };
}
