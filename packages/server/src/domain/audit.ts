import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';

export type AuditAction =
  | 'account.created'
  | 'signup.attempted'
  | 'email.verified'
  | 'email.change_requested'
  | 'email.changed'
  | 'password.reset_requested'
  | 'password.reset'
  | 'password.changed'
  | 'login.second_factor_failed'
  | 'totp.enabled'
  | 'totp.disabled'
  | 'recovery_codes.regenerated'
  | 'recovery_code.used'
  | 'passkey.added'
  | 'passkey.removed'
  | 'session.ended'
  | 'profile.updated'
  | 'account.deleted'
  | 'account.exported'
  | 'login.succeeded'
  | 'login.failed'
  | 'subscription.granted'
  | 'subscription.cancelled'
  | 'subscription.expired'
  | 'subscription.started'
  | 'subscription.renewed'
  | 'subscription.upgraded'
  | 'subscription.renewal_plan_changed'
  | 'subscription.resumed'
  | 'subscription.payment_failed'
  | 'subscription.provider_changed'
  | 'order.placed'
  | 'payment.received'
  | 'payment.flagged'
  | 'payment.resolved'
  | 'payment.refunded'
  | 'tier.price_set'
  | 'credentials.created'
  | 'credentials.regenerated'
  | 'credentials.viewed'
  | 'device.registered'
  | 'device.renamed'
  | 'device.removed'
  | 'device.limit_reached'
  | 'device.replaced_stale'
  | 'signature.failed'
  | 'signature.rate_limited'
  | 'account.suspended'
  | 'account.unsuspended'
  | 'credentials.revoked'
  | 'sessions.ended'
  | 'backup.deleted'
  | 'backup.restored'
  | 'tier.changed'
  | 'operator.created'
  | 'operator.signed_in'
  | 'operator.sign_in_failed'
  | 'operator.second_factor_enrolled'
  | 'operator.second_factor_reset'
  | 'operator.disabled'
  | 'audit.exported'
  | 'provider_event.replayed'
  | 'mail.retried';

export interface AuditEntry {
  accountId: number | null;
  action: AuditAction;
  /** Never a secret. */
  detail?: Record<string, unknown>;
  ip?: string | null;
}

/** Who acts in the console: every audit event recorded while `fn` runs carries their name. */
export interface AuditActor {
  operator: string;
  ip: string | null;
}

const auditActor = new AsyncLocalStorage<AuditActor>();

/**
 * Runs `fn` on behalf of an operator. Domain functions record their own audit
 * events; inside this call each one is stamped with the operator's name and
 * address, whichever function (of any area) records it.
 */
export function actingAs<T>(actor: AuditActor, fn: () => Promise<T>): Promise<T> {
  return auditActor.run(actor, fn);
}

/** The operator on whose behalf the current work runs, if any. */
export function currentOperator(): string | null {
  return auditActor.getStore()?.operator ?? null;
}

export async function recordAudit(db: Kysely<Database>, clock: Clock, entry: AuditEntry): Promise<void> {
  const actor = auditActor.getStore();
  await db
    .insertInto('audit_events')
    .values({
      account_id: entry.accountId,
      action: entry.action,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip ?? actor?.ip ?? null,
      created_at: clock.now(),
      operator: actor?.operator ?? null,
    })
    .execute();
}

export interface AuditEvent {
  id: number;
  action: string;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: Date;
  operator: string | null;
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
    operator: row.operator,
  }));
}
