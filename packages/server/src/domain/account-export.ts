import { getAccount } from './accounts.ts';
import { listAuditEvents, recordAudit } from './audit.ts';
import type { DomainContext } from './context.ts';
import { listPasskeys } from './second-factor/passkeys.ts';
import { listSessions } from './sessions.ts';
import { getProfile } from './profile.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * "Export my data": everything stored about the account, in one JSON
 * document. Secrets stay out (password hash, TOTP key, recovery-code hashes,
 * the API secret, passkey public keys) and so does anything of the operator's.
 */
export async function exportAccountData(ctx: DomainContext, accountId: number, ip: string | null): Promise<Record<string, unknown>> {
  const { db } = ctx.store;
  const [account, profile, passkeys, sessions, audit] = await Promise.all([
    getAccount(ctx, accountId),
    getProfile(ctx, accountId),
    listPasskeys(ctx, accountId),
    listSessions(ctx, accountId),
    listAuditEvents(db, accountId, 10_000),
  ]);
  const [subscriptions, credentials, devices, replacements, orders, payments, invoices, backup] = await Promise.all([
    db.selectFrom('subscriptions').innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id').selectAll('subscriptions').select('tiers.name as tier').where('account_id', '=', accountId).orderBy('subscriptions.id').execute(),
    db.selectFrom('api_credentials').select(['api_key', 'created_at']).where('account_id', '=', accountId).executeTakeFirst(),
    db.selectFrom('devices').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('device_replacements').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('orders').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('payments').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('invoices').select(['number', 'issued_at']).where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('backups').select(['size', 'sha256', 'upload_ts', 'last_modify_ts']).where('account_id', '=', accountId).executeTakeFirst(),
  ]);
  await recordAudit(db, ctx.clock, { accountId, action: 'account.exported', ip });
  return {
    exported_at: new Date(ctx.clock.now()).toISOString(),
    account: {
      username: account.username,
      email: account.email,
      email_verified: account.emailVerified,
      created_at: account.createdAt.toISOString(),
      two_factor: { authenticator_app: account.totpEnabled, passkeys: passkeys.map((p) => ({ name: p.name, created_at: p.createdAt.toISOString(), last_used_at: p.lastUsedAt?.toISOString() ?? null })) },
    },
    profile,
    subscriptions: subscriptions.map((s) => ({
      tier: s.tier,
      status: s.status,
      provider: s.provider,
      billing_period: s.billing_period,
      period_start: iso(s.period_start),
      period_end: iso(s.period_end),
      cancel_reason: s.cancel_reason,
    })),
    api_credentials: credentials === undefined ? null : { api_key: credentials.api_key, created_at: iso(credentials.created_at) },
    devices: devices.map((d) => ({ name: d.device_name, identifier: d.device_identifier, platform: d.platform, registered_at: iso(d.created_at), last_seen_at: iso(d.last_seen_at) })),
    device_replacements: replacements.map((r) => ({
      replaced: { name: r.replaced_device_name, platform: r.replaced_platform, last_seen_at: iso(r.replaced_last_seen_at) },
      by: { name: r.device_name, platform: r.platform },
      replaced_at: iso(r.replaced_at),
    })),
    backup: backup === undefined ? null : { size: Number(backup.size), sha256: backup.sha256, uploaded_at: iso(backup.upload_ts) },
    orders: orders.map((o) => ({
      reference: o.public_id,
      kind: o.kind,
      period: o.period,
      method: o.method,
      status: o.status,
      currency: o.currency,
      total_minor: Number(o.total_minor),
      buyer: JSON.parse(o.buyer) as unknown,
      created_at: iso(o.created_at),
      paid_at: iso(o.paid_at),
    })),
    payments: payments.map((p) => ({ provider: p.provider, currency: p.currency, amount_minor: Number(p.amount_minor), status: p.status, created_at: iso(p.created_at) })),
    invoices: invoices.map((i) => ({ number: i.number, issued_at: iso(i.issued_at) })),
    sessions: sessions.map((s) => ({ ip: s.ip, user_agent: s.userAgent, created_at: s.createdAt.toISOString(), last_seen_at: s.lastSeenAt.toISOString() })),
    activity: audit.filter((e) => e.operator === null).map((e) => ({ action: e.action, ip: e.ip, at: e.createdAt.toISOString() })),
  };
}
