import { sql } from 'kysely';
import type { AuditEntryView, CustomerDetail, CustomerSummary, SubscriptionState } from '@rotki-premium/protocol/admin-api';
import { getAccount } from '../accounts.ts';
import { listPayments } from '../payments/payment-list.ts';
import { listRefunds } from '../payments/refunds.ts';
import { recoveryCodesLeft } from '../second-factor/recovery-codes.ts';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { forgetSecret } from '../secret-cache.ts';
import { deleteAccountSessions } from '../sessions.ts';
import { currentSubscription, isSubscriptionActive, type Subscription } from '../subscriptions.ts';

/** How many characters of an API key the console shows: enough to tell pairs apart, useless to sign. */
export const API_KEY_PREFIX_LENGTH = 12;
const SEARCH_LIMIT = 50;

function iso(ms: number | string): string {
  return new Date(Number(ms)).toISOString();
}

export function subscriptionState(subscription: Subscription): SubscriptionState {
  return {
    tier: subscription.tier.name,
    status: subscription.status,
    isActive: subscription.isActive,
    periodStart: subscription.periodStart.toISOString(),
    periodEnd: subscription.periodEnd.toISOString(),
  };
}

/** `%` and `_` in what the operator typed match themselves. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Finds customers by username or e-mail (containing the text, any case), by
 * the start of an API key, or by the start of a device identifier: what a
 * customer quotes in a support request.
 */
export async function searchCustomers(ctx: DomainContext, query: string): Promise<CustomerSummary[]> {
  const text = query.trim();
  const contains = `%${likeLiteral(text.toLowerCase())}%`;
  const startsWith = `${likeLiteral(text)}%`;
  const { db } = ctx.store;
  const escape = sql`'\\'`;
  const [byName, byKey, byDevice] = await Promise.all([
    db
      .selectFrom('accounts')
      .select(['id', sql<string>`case when lower(username) like ${contains} escape ${escape} then 'username' else 'email' end`.as('matched')])
      .where((eb) =>
        eb.or([
          sql<boolean>`lower(username) like ${contains} escape ${escape}`,
          sql<boolean>`lower(email) like ${contains} escape ${escape}`,
        ]),
      )
      .orderBy('id')
      .limit(SEARCH_LIMIT)
      .execute(),
    // A key prefix is only worth looking up from a few characters on.
    text.length < 6
      ? Promise.resolve([])
      : db.selectFrom('api_credentials').select('account_id as id').where(sql<boolean>`api_key like ${startsWith} escape ${escape}`).limit(SEARCH_LIMIT).execute(),
    text.length < 6
      ? Promise.resolve([])
      : db
          .selectFrom('devices')
          .select('account_id as id')
          .where(sql<boolean>`device_identifier like ${startsWith} escape ${escape}`)
          .distinct()
          .limit(SEARCH_LIMIT)
          .execute(),
  ]);
  const matches = new Map<number, CustomerSummary['matchedOn']>();
  for (const row of byKey) matches.set(Number(row.id), 'api_key');
  for (const row of byDevice) if (!matches.has(Number(row.id))) matches.set(Number(row.id), 'device');
  for (const row of byName) if (!matches.has(Number(row.id))) matches.set(Number(row.id), row.matched === 'username' ? 'username' : 'email');
  const ids = [...matches.keys()].slice(0, SEARCH_LIMIT);
  if (ids.length === 0) return [];
  const accounts = await db.selectFrom('accounts').selectAll().where('id', 'in', ids).orderBy('username').execute();
  return Promise.all(
    accounts.map(async (account) => {
      const subscription = await currentSubscription(ctx, Number(account.id));
      return {
        id: Number(account.id),
        username: account.username,
        email: account.email,
        createdAt: iso(account.created_at),
        suspended: account.suspended_at !== null,
        subscription: subscription === null ? null : subscriptionState(subscription),
        matchedOn: matches.get(Number(account.id)) ?? 'username',
      };
    }),
  );
}

export function auditEntryView(row: {
  id: number | string;
  created_at: number | string;
  action: string;
  username: string | null;
  operator: string | null;
  ip: string | null;
  detail: string;
}): AuditEntryView {
  return {
    id: Number(row.id),
    at: iso(row.created_at),
    action: row.action,
    account: row.username,
    operator: row.operator,
    ip: row.ip,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}

/** Everything the console's customer page shows; never a secret. */
export async function customerDetail(ctx: DomainContext, accountId: number): Promise<CustomerDetail> {
  const { db } = ctx.store;
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) throw notFound('No customer with this id');
  const now = ctx.clock.now();
  const [current, history, credentials, devices, backup, sessions, audit, payments, refunds, passkeys, recoveryCodes] = await Promise.all([
    currentSubscription(ctx, accountId),
    db
      .selectFrom('subscriptions')
      .innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
      .select([
        'subscriptions.id',
        'tiers.name',
        'subscriptions.status',
        'subscriptions.period_start',
        'subscriptions.period_end',
        'subscriptions.payment_reference',
        'subscriptions.created_at',
      ])
      .where('subscriptions.account_id', '=', accountId)
      .orderBy('subscriptions.id', 'desc')
      .execute(),
    db.selectFrom('api_credentials').select(['api_key', 'created_at']).where('account_id', '=', accountId).executeTakeFirst(),
    db.selectFrom('devices').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    db.selectFrom('backups').select(['size', 'upload_ts', 'last_modify_ts', 'sha256']).where('account_id', '=', accountId).executeTakeFirst(),
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_events')
      .select(['id', 'created_at', 'action', 'operator', 'ip', 'detail'])
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(100)
      .execute(),
    listPayments(ctx, { accountId, limit: 100 }),
    listRefunds(ctx, accountId),
    db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number | string>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow(),
    recoveryCodesLeft(db, accountId),
  ]);
  return {
    id: accountId,
    username: row.username,
    email: row.email,
    createdAt: iso(row.created_at),
    suspension: row.suspended_at === null ? null : { since: iso(row.suspended_at), reason: row.suspension_reason ?? '' },
    deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
    secondFactors: { totp: row.totp_enabled_at !== null, passkeys: Number(passkeys.n), recoveryCodes },
    subscription: current === null ? null : subscriptionState(current),
    subscriptions: history.map((s) => {
      const active = isSubscriptionActive(s, now);
      return {
        id: Number(s.id),
        tier: s.name,
        status: s.status === 'expired' || !active ? 'expired' : s.status,
        isActive: active,
        periodStart: iso(s.period_start),
        periodEnd: iso(s.period_end),
        paymentReference: s.payment_reference,
        createdAt: iso(s.created_at),
      };
    }),
    credentials:
      credentials === undefined ? null : { apiKeyPrefix: credentials.api_key.slice(0, API_KEY_PREFIX_LENGTH), createdAt: iso(credentials.created_at) },
    devices: devices.map((d) => ({
      id: Number(d.id),
      name: d.device_name,
      identifier: d.device_identifier,
      platform: d.platform,
      createdAt: iso(d.created_at),
      lastSeenAt: iso(d.last_seen_at),
    })),
    deviceLimit: current?.isActive === true ? current.tier.deviceLimit : 0,
    backup:
      backup === undefined
        ? null
        : { size: Number(backup.size), uploadedAt: iso(backup.upload_ts), lastModifiedAt: iso(Number(backup.last_modify_ts) * 1000), sha256: backup.sha256 },
    sessions: { active: Number(sessions.n) },
    payments: payments.map((p) => ({
      id: p.id,
      provider: p.provider,
      method: p.method,
      reference: p.reference,
      amountMinor: p.amountMinor,
      refundedMinor: p.refundedMinor,
      currency: p.currency,
      status: p.status,
      invoiceNumber: p.invoiceNumber,
      createdAt: iso(p.createdAt),
    })),
    refunds: refunds.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
    audit: audit.map((a) => auditEntryView({ ...a, username: row.username })),
  };
}

/** Removes the API key and secret: every device of the account is refused at once; the subscriber can create a new pair. */
export async function revokeCredentials(ctx: DomainContext, accountId: number): Promise<void> {
  const removed = await ctx.store.db.deleteFrom('api_credentials').where('account_id', '=', accountId).returning('api_key').executeTakeFirst();
  if (removed === undefined) throw notFound('This customer has no API credentials');
  forgetSecret(ctx, accountId);
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'credentials.revoked',
    detail: { api_key_prefix: removed.api_key.slice(0, API_KEY_PREFIX_LENGTH) },
  });
}

/** Logs the customer out of the website everywhere. */
export async function endCustomerSessions(ctx: DomainContext, accountId: number): Promise<number> {
  await getAccount(ctx, accountId);
  const ended = await deleteAccountSessions(ctx, accountId);
  await recordAudit(ctx.store.db, ctx.clock, { accountId, action: 'sessions.ended', detail: { sessions: ended } });
  return ended;
}
