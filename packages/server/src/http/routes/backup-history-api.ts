import type { FastifyInstance } from 'fastify';
import { BackupHistory, ENDPOINTS, type BackupHistoryVersion } from '@rotki-premium/protocol';
import { listBackupVersions, versionsKept, type BackupVersion } from '../../domain/backup-history.ts';
import type { DomainContext } from '../../domain/context.ts';
import { SIGNED_BODY_LIMIT } from '../body-limits.ts';
import { premiumRoute } from '../openapi/route-schema.ts';
import { NonceQuery } from './premium-api.ts';

function wireVersion(version: BackupVersion): BackupHistoryVersion {
  return {
    current: version.current,
    upload_ts: Math.floor(version.uploadedAt / 1000),
    last_modify_ts: version.lastModifyTs,
    data_hash: version.sha256,
    data_size: version.size,
    device_name: version.deviceName,
    device_platform: version.devicePlatform,
    uploaded_by: version.uploadedBy,
  };
}

/**
 * `GET /nest/1/backup/history` (issue 9, our app only; the rotki app never
 * calls it): the current backup and the versions kept, each with who
 * uploaded it, so a device can say "a backup from Work laptop, 2 hours ago".
 */
export async function backupHistoryApiRoutes(app: FastifyInstance, { ctx }: { ctx: DomainContext }): Promise<void> {
  app.get(
    '/nest/1/backup/history',
    {
      schema: premiumRoute({
        summary: 'The current backup and the versions kept, with who uploaded each (our app only)',
        querystring: NonceQuery,
        response: { 200: BackupHistory },
      }),
      bodyLimit: SIGNED_BODY_LIMIT,
      config: { premium: { endpoint: ENDPOINTS.backupHistory, namesCaller: true } },
    },
    async (request): Promise<BackupHistory> => {
      const subscriber = request.subscriber;
      if (subscriber === undefined) throw new Error('route reached without a verified subscriber');
      const versions = await listBackupVersions(ctx, subscriber.accountId);
      return { versions: versions.map(wireVersion), versions_kept: versionsKept(subscriber.tier.backupVersions) };
    },
  );
}
