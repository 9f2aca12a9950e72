import { RemoteError, type PremiumClient } from '@rotki-premium/client';
import type { BackupCurrent } from '@rotki-premium/protocol';

/**
 * The backup the server holds now, with who uploaded it: from the signed
 * history call (our server), or from `last_data_metadata` without the
 * uploader when the server has no history call (404). Null: no backup.
 */
export async function fetchRemoteBackup(client: PremiumClient): Promise<BackupCurrent | null> {
  try {
    const history = await client.backupHistory();
    const current = history.versions.find((version) => version.current);
    if (current === undefined) return null;
    const { current: _current, ...backup } = current;
    return backup;
  } catch (error) {
    if (!(error instanceof RemoteError && error.status === 404)) throw error;
    const metadata = await client.metadata();
    if (metadata.data_hash === '') return null;
    return { ...metadata, device_name: null, device_platform: null, uploaded_by: null };
  }
}
