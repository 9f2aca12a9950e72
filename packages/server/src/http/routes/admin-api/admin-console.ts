import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ADMIN_API,
  ADMIN_API_PATHS,
  AuditQuery,
  DashboardQuery,
  TierChange,
  type AdminTier,
  type AdminTierList,
  type AuditList,
  type DashboardView,
  type SystemView,
  type TierImpact,
} from '@rotki-premium/protocol/admin-api';
import { CAPABILITY_FLAGS } from '@rotki-premium/protocol';
import { recordAudit } from '../../../domain/audit.ts';
import type { DomainContext } from '../../../domain/context.ts';
import { auditCsv, queryAuditLog } from '../../../domain/operators/audit-log.ts';
import { dashboardFigures } from '../../../domain/operators/dashboard.ts';
import { tierChangeImpact, tiersWithSubscribers, updateTier } from '../../../domain/operators/tier-editor.ts';
import { instancesSeen } from '../../../domain/system/telemetry.ts';
import type { BlobStore } from '../../../store/blob-store.ts';
import { migrationStatus } from '../../../store/migrate.ts';
import { SERVER_VERSION } from '../../../version.ts';
import { asOperator } from './admin-plugin.ts';

const path = (full: string) => full.slice(ADMIN_API.length);
const TierParam = z.object({ id: z.coerce.number().int().positive() });

export interface AdminConsoleOptions {
  ctx: DomainContext;
  blobs: BlobStore;
}

/** Dashboard, tiers and prices (admins only), the audit log with its CSV export, and the System page. */
export async function adminConsoleRoutes(app: FastifyInstance, options: AdminConsoleOptions): Promise<void> {
  const { ctx, blobs } = options;

  app.get(path(ADMIN_API_PATHS.dashboard), { config: { console: 'operator' } }, async (request): Promise<DashboardView> => {
    const query = DashboardQuery.parse(request.query);
    return dashboardFigures(ctx, Date.parse(query.from), Date.parse(query.to));
  });

  app.get(path(ADMIN_API_PATHS.tiers), { config: { console: 'admin' } }, async (): Promise<AdminTierList> => ({
    tiers: await tiersWithSubscribers(ctx),
    capabilities: [...CAPABILITY_FLAGS],
  }));

  // What a change would do, before saving it: the editor shows this and asks to confirm.
  app.post(`${path(ADMIN_API_PATHS.tiers)}/:id/impact`, { bodyLimit: 8192, config: { console: 'admin' } }, async (request): Promise<TierImpact> => {
    const { id } = TierParam.parse(request.params);
    return tierChangeImpact(ctx, id, TierChange.parse(request.body ?? {}));
  });

  app.put(`${path(ADMIN_API_PATHS.tiers)}/:id`, { bodyLimit: 8192, config: { console: 'admin' } }, async (request): Promise<AdminTier> => {
    const { id } = TierParam.parse(request.params);
    const change = TierChange.parse(request.body ?? {});
    return asOperator(request, () => updateTier(ctx, id, change));
  });

  app.get(path(ADMIN_API_PATHS.audit), { config: { console: 'operator' } }, async (request): Promise<AuditList> => ({
    entries: await queryAuditLog(ctx, AuditQuery.parse(request.query)),
  }));

  app.get(path(ADMIN_API_PATHS.auditCsv), { config: { console: 'operator' } }, async (request, reply) => {
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

  app.get(path(ADMIN_API_PATHS.system), { config: { console: 'operator' } }, async (): Promise<SystemView> => {
    const [migrations, instances] = await Promise.all([migrationStatus(ctx.store), instancesSeen(ctx)]);
    return {
      version: SERVER_VERSION,
      node: process.version,
      database: { dialect: ctx.store.dialect, location: ctx.store.location },
      blobStore: { kind: blobs.kind, location: blobs.location },
      migrations: { applied: migrations.applied.map((m) => ({ name: m.name, at: m.executedAt.toISOString() })), pending: migrations.pending },
      instances: instances.map((i) => ({ ...i, startedAt: i.startedAt.toISOString(), lastSeenAt: i.lastSeenAt.toISOString() })),
      masterKey: { fingerprint: ctx.keyRing.fingerprint() },
      // Mail and payment providers arrive with the accounts and payments areas; this build has neither.
      mail: { status: 'No mail is sent by this build' },
      payments: { status: 'Manual: the operator records payments by granting subscriptions' },
    };
  });
}
