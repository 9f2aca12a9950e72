import { backupVersionUrl, WEB_API_PATHS, WebBackups, WebBackupVersion } from '@rotki-premium/protocol/web-api';
import { z } from 'zod';
import { call } from '../core/use-web-api.ts';

const Deleted = z.object({ success: z.literal(true), deleted: z.number().int() });

export function useBackupsApi() {
  return {
    fetchBackups: () => call('GET', WEB_API_PATHS.backups, WebBackups),
    restoreVersion: (id: string) => call('POST', backupVersionUrl(id, 'restore'), WebBackupVersion),
    deleteAll: (confirmUsername: string) => call('POST', WEB_API_PATHS.deleteBackups, Deleted, { confirmUsername }),
    downloadUrl: (id: string) => backupVersionUrl(id, 'download'),
  };
}
