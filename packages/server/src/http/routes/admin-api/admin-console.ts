import type { FastifyInstance } from 'fastify';
import {
  ADMIN_API,
  ADMIN_API_PATHS,
  AdminTier,
  AdminTierList,
  AuditList,
  AuditQuery,
  DashboardQuery,
  DashboardView,
  SystemView,
  TierChange,
  TierImpact,
} from '@rotki-premium/protocol/admin-api';
import { CAPABILITY_FLAGS } from '@rotki-premium/protocol';
import { recordAudit } from '../../../domain/audit.ts';
import type { DomainContext } from '../../../domain/context.ts';
import { auditCsv, queryAuditLog } from '../../../domain/operators/audit-log.ts';
import { dashboardFigures } from '../../../domain/operators/dashboard.ts';
import { tierChangeImpact, tiersWithSubscribers, updateTier } from '../../../domain/operators/tier-editor.ts';
import { instancesSeen } from '../../../domain/system/telemetry.ts';
import type { MailConfig } from '../../../config/mail-config.ts';
import type { BlobStore } from '../../../store/blob-store.ts';
import { migrationStatus } from '../../../store/migrate.ts';
import { SERVER_VERSION } from '../../../version.ts';
import { IdParam, contentResponse, webRoute } from '../../openapi/route-schema.ts';
import { asOperator } from './admin-plugin.ts';
import { devicesStatus, mailQueueStatus, masterKeyStatus, paymentsStatus } from './system-status.ts';

const path = (full: string) => full.slice(ADMIN_API.length);

export interface AdminConsoleOptions {
  ctx: DomainContext;
  blobs: BlobStore;
  mail: MailConfig;
}

/** Dashboard, tiers and prices (admins only), the audit log with its CSV export, and the System page. */
export async function adminConsoleRoutes(app: FastifyInstance, options: AdminConsoleOptions): Promise<void> {
  const { ctx, blobs, mail } = options;

  app.get(path(ADMIN_API_PATHS.dashboard), { schema: webRoute({ summary: 'Dashboard figures and daily series for a period of up to 366 days', querystring: DashboardQuery, response: { 200: DashboardView } }), config: { console: 'operator' } }, async (request): Promise<DashboardView> => {
    const query = DashboardQuery.parse(request.query);
    return dashboardFigures(ctx, Date.parse(query.from), Date.parse(query.to));
  });

  app.get(path(ADMIN_API_PATHS.tiers), { schema: webRoute({ summary: 'Tiers with limits, capabilities, prices and active subscribers (admins)', response: { 200: AdminTierList } }), config: { console: 'admin' } }, async (): Promise<AdminTierList> => ({
    tiers: await tiersWithSubscribers(ctx),
    capabilities: [...CAPABILITY_FLAGS],
  }));

  // What a change would do, before saving it: the editor shows this and asks to confirm.
  app.post(`${path(ADMIN_API_PATHS.tiers)}/:id/impact`, { schema: webRoute({ summary: 'What a tier change would do to its subscribers, before saving (admins)', params: IdParam, body: TierChange, response: { 200: TierImpact } }), bodyLimit: 8192, config: { console: 'admin' } }, async (request): Promise<TierImpact> => {
    const { id } = IdParam.parse(request.params);
    return tierChangeImpact(ctx, id, TierChange.parse(request.body ?? {}));
  });

  app.put(`${path(ADMIN_API_PATHS.tiers)}/:id`, { schema: webRoute({ summary: 'Save a tier\'s limits, capabilities and prices (admins)', params: IdParam, body: TierChange, response: { 200: AdminTier } }), bodyLimit: 8192, config: { console: 'admin' } }, async (request): Promise<AdminTier> => {
    const { id } = IdParam.parse(request.params);
    const change = TierChange.parse(request.body ?? {});
    return asOperator(request, () => updateTier(ctx, id, change));
  });

  app.get(path(ADMIN_API_PATHS.audit), { schema: webRoute({ summary: 'The audit log, newest first', querystring: AuditQuery, response: { 200: AuditList } }), config: { console: 'operator' } }, async (request): Promise<AuditList> => ({
    entries: await queryAuditLog(ctx, AuditQuery.parse(request.query)),
  }));

  app.get(path(ADMIN_API_PATHS.auditCsv), { schema: webRoute({ summary: 'The audit log as CSV (the export is audited)', querystring: AuditQuery, response: { 200: contentResponse('The entries as CSV', 'text/csv') } }), config: { console: 'operator' } }, async (request, reply) => {
    const query = AuditQuery.parse(request.query);
    const entries = await queryAuditLog(ctx, query);
    // Exports leave the service with customers' data in them: that they happened is itself audited.
    await asOperator(request, () =>
      recordAudit(ctx.store.db, ctx.clock, { accountId: null, action: 'audit.exported', detail: { rows: entries.length, filters: query } }),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${new Date(ctx.clock.now()).toISOString().slice(0, 10)}.csv"`)
      .send(auditCsv(entries));
  });

  app.get(path(ADMIN_API_PATHS.system), { schema: webRoute({ summary: 'Version, storage, migrations, instances, master key, mail, payments and device options', response: { 200: SystemView } }), config: { console: 'operator' } }, async (): Promise<SystemView> => {
    const [migrations, instances, mailStatus, paymentStatus, masterKey] = await Promise.all([
      migrationStatus(ctx.store),
      instancesSeen(ctx),
      mailQueueStatus(ctx, mail),
      paymentsStatus(ctx),
      masterKeyStatus(ctx),
    ]);
    return {
      version: SERVER_VERSION,
      node: process.version,
      database: { dialect: ctx.store.dialect, location: ctx.store.location },
      blobStore: { kind: blobs.kind, location: blobs.location },
      migrations: { applied: migrations.applied.map((m) => ({ name: m.name, at: m.executedAt.toISOString() })), pending: migrations.pending },
      instances: instances.map((i) => ({ ...i, startedAt: i.startedAt.toISOString(), lastSeenAt: i.lastSeenAt.toISOString() })),
      masterKey,
      mail: { status: mailStatus },
      payments: { status: paymentStatus },
      devices: { status: devicesStatus(ctx) },
    };
  });
}
