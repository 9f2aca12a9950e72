import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';

export type AuditAction =
  | 'account.created'
  | 'login.succeeded'
  | 'login.failed'
  | 'subscription.granted'
  | 'subscription.cancelled'
  | 'subscription.expired'
  | 'subscription.started'
  | 'subscription.renewed'
  | 'subscription.upgraded'
  | 'subscription.resumed'
  | 'subscription.payment_failed'
  | 'subscription.provider_changed'
  | 'order.placed'
  | 'payment.received'
  | 'payment.flagged'
  | 'payment.resolved'
  | 'tier.price_set'
  | 'credentials.created'
  | 'credentials.regenerated'
  | 'credentials.viewed'
  | 'device.registered'
  | 'device.renamed'
  | 'device.removed'
  | 'device.limit_reached'
  | 'signature.failed'
  | 'signature.rate_limited';

export interface AuditEntry {
  accountId: number | null;
  action: AuditAction;
  /** Never a secret. */
  detail?: Record<string, unknown>;
  ip?: string | null;
}

export async function recordAudit(db: Kysely<Database>, clock: Clock, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      account_id: entry.accountId,
      action: entry.action,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip ?? null,
      created_at: clock.now(),
    })
    .execute();
}

export interface AuditEvent {
  id: number;
  action: string;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: Date;
}

export async function listAuditEvents(db: Kysely<Database>, accountId: number, limit = 200): Promise<AuditEvent[]> {
  const rows: AuditEventRow[] = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    action: row.action,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    ip: row.ip,
    createdAt: new Date(Number(row.created_at)),
  }));
}
