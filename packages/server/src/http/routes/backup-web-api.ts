import type { FastifyInstance } from 'fastify';
import {
  BackupVersionParam,
  DeleteBackupsBody,
  WEB_API_PATHS,
  WebBackupVersion,
  WebBackups,
  WebErrorCode,
} from '@rotki-premium/protocol/web-api';
import { z } from 'zod';
import { getAccount } from '../../domain/accounts.ts';
import {
  deleteAllBackups,
  findBackupVersion,
  listBackupVersions,
  restoreBackupVersion,
  versionsKept,
  type BackupVersion,
} from '../../domain/backup-history.ts';
import type { Backups } from '../../domain/backups.ts';
import { notFound } from '../../domain/errors.ts';
import { currentSubscription } from '../../domain/subscriptions.ts';
import { contentResponse, webRoute } from '../openapi/route-schema.ts';
import { WebApiError } from '../plugins/session.ts';
import { route, sessionOf } from './web-api-request.ts';

/** How many versions were deleted. */
const BackupsDeleted = z.object({ success: z.literal(true), deleted: z.number().int() });

export interface BackupWebApiOptions {
  backups: Backups;
}

function webVersion(v: BackupVersion): WebBackupVersion {
  return {
    id: v.uploadId,
    current: v.current,
    sizeBytes: v.size,
    sha256: v.sha256,
    uploadedAt: new Date(v.uploadedAt).toISOString(),
    uploadedBy: v.uploadedBy,
    deviceName: v.deviceName,
    devicePlatform: v.devicePlatform,
  };
}

/**
 * The website's Cloud backup section (issue 9): the current backup and the
 * earlier versions, restore one, download one, delete all. Registered inside
 * the web API plugin: sessions, CSRF checks and error shapes are the web API's.
 */
export async function backupWebApiRoutes(app: FastifyInstance, options: BackupWebApiOptions): Promise<void> {
  const { backups } = options;
  const { ctx } = backups;
  const required = { session: 'required' as const };
  const base = route(WEB_API_PATHS.backups);

  app.get(base, { schema: webRoute({ summary: 'The cloud backup: what the plan includes and the versions kept', response: { 200: WebBackups } }), config: required }, async (request): Promise<WebBackups> => {
    const { accountId } = sessionOf(request);
    const [subscription, versions] = await Promise.all([currentSubscription(ctx, accountId), listBackupVersions(ctx, accountId)]);
    const tier = subscription?.isActive === true ? subscription.tier : null;
    return {
      included: tier !== null && tier.maxBackupSizeMb > 0,
      tier: tier?.name ?? null,
      maxBackupSizeMb: tier?.maxBackupSizeMb ?? 0,
      versionsKept: tier === null || tier.maxBackupSizeMb === 0 ? 0 : versionsKept(tier.backupVersions),
      versions: versions.map(webVersion),
    };
  });

  app.post(`${base}:id/restore`, { schema: webRoute({ summary: 'Make an earlier version the current backup', params: BackupVersionParam, response: { 200: WebBackupVersion } }), config: required }, async (request): Promise<WebBackupVersion> => {
    const { id } = BackupVersionParam.parse(request.params);
    return webVersion(await restoreBackupVersion(ctx, sessionOf(request).accountId, id));
  });

  app.get(`${base}:id/download`, { schema: webRoute({ summary: 'Download one version (the encrypted file as rotki uploaded it)', params: BackupVersionParam, response: { 200: contentResponse('The encrypted backup', 'application/octet-stream') } }), config: required }, async (request, reply) => {
    const { id } = BackupVersionParam.parse(request.params);
    const row = await findBackupVersion(ctx, sessionOf(request).accountId, id);
    if (row === null) throw notFound('No backup version with this id: it may have been removed by a newer upload.');
    const size = Number(row.size);
    const stream = await backups.blobs.openBlob(row.blob_ref, size);
    const day = new Date(Number(row.upload_ts)).toISOString().slice(0, 10);
    return reply
      .type('application/octet-stream')
      .header('content-length', String(size))
      .header('content-disposition', `attachment; filename="rotki-backup-${day}-${id.slice(0, 8)}.bin"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });

  app.post(route(WEB_API_PATHS.deleteBackups), { schema: webRoute({ summary: 'Delete every backup version (the username typed to confirm)', body: DeleteBackupsBody, response: { 200: BackupsDeleted } }), bodyLimit: 4096, config: required }, async (request) => {
    const session = sessionOf(request);
    const body = DeleteBackupsBody.parse(request.body ?? {});
    const account = await getAccount(ctx, session.accountId);
    if (body.confirmUsername !== account.username) {
      throw new WebApiError(400, WebErrorCode.InvalidInput, 'Type your username exactly to confirm.');
    }
    const deleted = await deleteAllBackups(ctx, { blobs: backups.blobs, graceMs: backups.policy.supersededGraceMs }, session.accountId);
    return { success: true as const, deleted };
  });
}
