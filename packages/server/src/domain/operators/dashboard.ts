import { sql } from 'kysely';
import type { DashboardView } from '@rotki-premium/protocol/admin-api';
import type { DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A chosen period is at most this long: one chart point per day. */
export const MAX_PERIOD_DAYS = 366;
/** Active subscriptions without a payment behind them (granted by the operator): no recurring revenue. */
export const GRANTED = 'granted';
/** A month, for turning a paid period into a monthly amount. */
const MONTH_MS = (365.25 / 12) * DAY_MS;

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

interface SubscriptionSpan {
  account_id: number | string;
  tier: string;
  period_start: number | string;
  period_end: number | string;
  status: string;
  id: number | string;
}

/** The account's latest subscription row is its subscription; it was active at `t` if `t` falls in its period. */
function activeAt(span: SubscriptionSpan, t: number): boolean {
  const start = Number(span.period_start);
  const end = Number(span.period_end);
  return start <= t && t < end;
}

/**
 * The console's dashboard for [from, to): subscribers active at the end of the
 * period by tier, sign-ups and churn inside it, revenue received inside it
 * less the refunds recorded inside it, and monthly recurring revenue (of each
 * active subscription's latest payment, less its refunds) by payment provider
 * (manual, stripe, evm; `granted` for subscriptions the operator gave without
 * a payment),
 * devices and backup storage now, failed signatures and logins inside it,
 * and one chart point per UTC day.
 */
export async function dashboardFigures(ctx: DomainContext, fromMs: number, toMs: number): Promise<DashboardView> {
  if (!(toMs > fromMs)) throw invalid('The period must end after it starts');
  if (toMs - fromMs > MAX_PERIOD_DAYS * DAY_MS) throw invalid(`Choose a period of at most ${MAX_PERIOD_DAYS} days`);
  const { db } = ctx.store;
  const latest = db
    .selectFrom('subscriptions')
    .select((eb) => ['account_id', eb.fn.max('id').as('id')])
    .groupBy('account_id')
    .as('latest');
  const received = ['credited', 'resolved'] as const;
  const [spans, signups, failedLogins, failedSignatures, devices, backups, payments, refunds] = await Promise.all([
    db
      .selectFrom('subscriptions')
      .innerJoin(latest, 'latest.id', 'subscriptions.id')
      .innerJoin('tiers', 'tiers.id', 'subscriptions.tier_id')
      .select([
        'subscriptions.id',
        'subscriptions.account_id',
        'tiers.name as tier',
        'subscriptions.period_start',
        'subscriptions.period_end',
        'subscriptions.status',
      ])
      .execute(),
    db.selectFrom('accounts').select('created_at').where('created_at', '>=', fromMs).where('created_at', '<', toMs).execute(),
    db
      .selectFrom('audit_events')
      .select('created_at')
      .where('action', '=', 'login.failed')
      .where('created_at', '>=', fromMs)
      .where('created_at', '<', toMs)
      .execute(),
    db
      .selectFrom('activity_counts')
      .select(['hour_start', 'count'])
      .where('name', '=', 'signature_failed')
      .where('hour_start', '>=', startOfUtcDay(fromMs) - DAY_MS)
      .where('hour_start', '<', toMs)
      .execute(),
    db.selectFrom('devices').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    db
      .selectFrom('backups')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.coalesce(eb.fn.sum<number | string>('size'), sql<number>`0`).as('bytes')])
      .executeTakeFirstOrThrow(),
    // Every payment received: revenue in the period, and each account's latest one for recurring revenue.
    db
      .selectFrom('payments')
      .select(['id', 'account_id', 'provider', 'amount_minor', 'period_start', 'period_end', 'created_at'])
      .where('status', 'in', received)
      .where('currency', '=', ctx.billing.currency)
      .orderBy('id')
      .execute(),
    // Money paid back: out of revenue when it was paid back, out of the payment's recurring revenue.
    db
      .selectFrom('refunds')
      .innerJoin('payments', 'payments.id', 'refunds.payment_id')
      .select(['refunds.payment_id', 'payments.provider', 'refunds.amount_minor', 'refunds.created_at'])
      .where('refunds.currency', '=', ctx.billing.currency)
      .execute(),
  ]);

  const endInstant = toMs - 1;
  const active = spans.filter((s) => activeAt(s, endInstant));
  const byTier = new Map<string, number>();
  for (const s of active) byTier.set(s.tier, (byTier.get(s.tier) ?? 0) + 1);
  // Churn: a subscription that ended inside the period and was not renewed (it is the account's latest).
  const now = ctx.clock.now();
  const churned = spans.filter((s) => Number(s.period_end) >= fromMs && Number(s.period_end) < Math.min(toMs, now + 1)).length;
  // MRR: each active subscription's latest payment spread over the months it paid for, by provider.
  const latestPayment = new Map<number, (typeof payments)[number]>();
  for (const p of payments) if (p.account_id !== null && Number(p.created_at) < toMs) latestPayment.set(Number(p.account_id), p);
  const refundedBefore = new Map<number, number>();
  for (const r of refunds) {
    if (Number(r.created_at) >= toMs) continue;
    refundedBefore.set(Number(r.payment_id), (refundedBefore.get(Number(r.payment_id)) ?? 0) + Number(r.amount_minor));
  }
  const mrr = new Map<string, number>();
  for (const s of active) {
    const paid = latestPayment.get(Number(s.account_id));
    const covered = paid === undefined || paid.period_start === null || paid.period_end === null ? 0 : Number(paid.period_end) - Number(paid.period_start);
    const kept = paid === undefined ? 0 : Math.max(0, Number(paid.amount_minor) - (refundedBefore.get(Number(paid.id)) ?? 0));
    const monthly = covered <= 0 || paid === undefined ? 0 : Math.round(kept / Math.max(1, Math.round(covered / MONTH_MS)));
    const method = paid === undefined ? GRANTED : paid.provider;
    mrr.set(method, (mrr.get(method) ?? 0) + monthly);
  }
  const revenue = new Map<string, number>();
  for (const p of payments) {
    if (Number(p.created_at) < fromMs || Number(p.created_at) >= toMs) continue;
    revenue.set(p.provider, (revenue.get(p.provider) ?? 0) + Number(p.amount_minor));
  }
  for (const r of refunds) {
    if (Number(r.created_at) < fromMs || Number(r.created_at) >= toMs) continue;
    revenue.set(r.provider, (revenue.get(r.provider) ?? 0) - Number(r.amount_minor));
  }
  const byMethod = (m: Map<string, number>) => [...m].map(([method, cents]) => ({ method, cents })).sort((a, b) => a.method.localeCompare(b.method));
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const failedSignaturesIn = failedSignatures.filter((r) => Number(r.hour_start) >= fromMs);

  const series: DashboardView['series'] = [];
  for (let day = startOfUtcDay(fromMs); day < toMs; day += DAY_MS) {
    const dayEnd = Math.min(day + DAY_MS, toMs);
    const within = (t: number | string) => Number(t) >= Math.max(day, fromMs) && Number(t) < dayEnd;
    series.push({
      day: new Date(day).toISOString().slice(0, 10),
      signups: signups.filter((a) => within(a.created_at)).length,
      activeSubscribers: spans.filter((s) => activeAt(s, dayEnd - 1)).length,
      failedSignatures: failedSignaturesIn.filter((r) => within(r.hour_start)).reduce((sum, r) => sum + Number(r.count), 0),
      failedLogins: failedLogins.filter((e) => within(e.created_at)).length,
    });
  }

  return {
    period: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
    activeSubscribers: {
      total: active.length,
      byTier: [...byTier].map(([tier, count]) => ({ tier, count })).sort((a, b) => a.tier.localeCompare(b.tier)),
    },
    newSignups: signups.length,
    churned,
    mrr: { currency: ctx.billing.currency, totalCents: sum(mrr), byPaymentMethod: byMethod(mrr) },
    revenue: { currency: ctx.billing.currency, totalCents: sum(revenue), byPaymentMethod: byMethod(revenue) },
    devices: Number(devices.n),
    backupStorage: { backups: Number(backups.n), bytes: Number(backups.bytes) },
    failedSignatures: failedSignaturesIn.reduce((sum, r) => sum + Number(r.count), 0),
    failedLogins: failedLogins.length,
    series,
  };
}
