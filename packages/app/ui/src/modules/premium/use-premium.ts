import { ref } from 'vue';
import { z } from 'zod';
import { callApi } from '../core/use-local-api.ts';
import { DeviceList, PremiumStatus, Settings, SyncStatus } from '../core/schemas.ts';

const status = ref<PremiumStatus | null>(null);
/** This device against the server's backup: last sync, pending changes, stale, the restore offer. */
const syncStatus = ref<SyncStatus | null>(null);
const settings = ref<Settings | null>(null);
/** The message the Setup form shows now, so the page does not repeat it in its own banner. */
const setupError = ref('');

/** The logged-in user's premium state, shared by the page, the toolbar and the sidebar. */
export function usePremium() {
  async function refresh(): Promise<PremiumStatus> {
    const { result } = await callApi('GET', '/api/1/premium/status', PremiumStatus);
    status.value = result;
    return result;
  }

  /** `refresh` asks the server first; without it the backend's last look is used. Null while premium is off. */
  async function loadSyncStatus(refresh = false): Promise<SyncStatus | null> {
    if (status.value?.premium_active !== true) {
      syncStatus.value = null;
      return null;
    }
    const { result } = await callApi('GET', `/api/1/premium/sync${refresh ? '?refresh=true' : ''}`, SyncStatus);
    syncStatus.value = result;
    return result;
  }

  async function loadSettings(): Promise<Settings> {
    const { result } = await callApi('GET', '/api/1/settings', Settings);
    settings.value = result;
    return result;
  }

  async function setup(user: string, apiKey: string, apiSecret: string): Promise<void> {
    try {
      await callApi('PATCH', `/api/1/users/${encodeURIComponent(user)}`, z.boolean(), {
        premium_api_key: apiKey,
        premium_api_secret: apiSecret,
      });
    } finally {
      await refresh();
      await loadSyncStatus().catch(() => null);
    }
  }

  async function setupAgain(): Promise<void> {
    try {
      await callApi('PUT', '/api/1/premium/devices', PremiumStatus);
    } finally {
      await refresh();
    }
  }

  async function remove(): Promise<void> {
    await callApi('DELETE', '/api/1/premium', z.boolean());
    await refresh();
  }

  async function checkNow(): Promise<void> {
    await callApi('POST', '/api/1/premium/status', PremiumStatus);
    await refresh();
  }

  async function setSync(enabled: boolean): Promise<void> {
    const { result } = await callApi('PUT', '/api/1/settings', Settings, { settings: { premium_should_sync: enabled } });
    settings.value = result;
  }

  async function devices(): Promise<DeviceList> {
    return (await callApi('GET', '/api/1/premium/devices', DeviceList)).result;
  }

  async function renameDevice(identifier: string, name: string): Promise<void> {
    await callApi('PATCH', '/api/1/premium/devices', z.boolean(), { device_identifier: identifier, device_name: name });
  }

  async function removeDevice(identifier: string): Promise<void> {
    await callApi('DELETE', '/api/1/premium/devices', z.boolean(), { device_identifier: identifier });
  }

  /** `force` replaces the server backup even when this device has not synced it (after the user's consent). */
  async function sync(action: 'upload' | 'download', force = false): Promise<{ result: boolean; message: string }> {
    try {
      return await callApi('PUT', '/api/1/premium/sync', z.boolean(), { action, ...(force ? { force } : {}) });
    } finally {
      await refresh();
      await loadSettings();
      await loadSyncStatus().catch(() => null);
    }
  }

  /** Cancel during an upload: the running `sync('upload')` then fails with `sync_cancelled`. */
  async function cancelSync(): Promise<boolean> {
    return (await callApi('POST', '/api/1/premium/sync/cancel', z.boolean())).result;
  }

  function reset(): void {
    status.value = null;
    settings.value = null;
    syncStatus.value = null;
    setupError.value = '';
  }

  return { status, settings, syncStatus, loadSyncStatus, setupError, refresh, loadSettings, setup, setupAgain, remove, checkNow, setSync, devices, renameDevice, removeDevice, sync, cancelSync, reset };
}

