import { requireVerifiedEmail } from '../accounts.ts';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { OrderKind, OrderMethod, OrderRow, OrderStatus } from '../../store/billing.table.ts';
import type { Database } from '../../store/schema.ts';
import { recordAudit } from '../audit.ts';
import { priceBreakdown, REVERSE_CHARGE_NOTE, type Buyer, type PriceBreakdown } from '../billing/breakdown.ts';
import { proratedUpgrade } from '../billing/periods.ts';
import { priceAt } from '../billing/prices.ts';
import type { BillingPeriod } from '../billing/settings.ts';
import type { DomainContext } from '../context.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { currentSubscription } from '../subscriptions.ts';
import { requireTier, type Tier } from '../tiers.ts';
import { buyerOf } from './buyer.ts';

export interface Order {
  id: number;
  publicId: string;
  accountId: number;
  kind: OrderKind;
  tierId: number;
  tierName: string;
  period: BillingPeriod;
  breakdown: PriceBreakdown;
  buyer: Buyer;
  method: OrderMethod;
  status: OrderStatus;
  providerRef: string | null;
  upgradeUntil: number | null;
  createdAt: number;
  paidAt: number | null;
}

/** Crockford's base32: no I, L, O or U, so a reference read aloud or typed survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** "RP-7K2M-Q9XD-4T": the order's public reference (60 random bits). */
export function newOrderReference(): string {
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => ALPHABET[b % 32]).join('');
  return `RP-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

export function toOrder(row: OrderRow & { tier_name: string }): Order {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    accountId: Number(row.account_id),
    kind: row.kind,
    tierId: Number(row.tier_id),
    tierName: row.tier_name,
    period: row.period,
    breakdown: {
      currency: row.currency,
      netMinor: Number(row.net_minor),
      vatRateBp: row.vat_rate_bp,
      vatMinor: Number(row.vat_minor),
      totalMinor: Number(row.total_minor),
      reverseCharge: row.reverse_charge === 1,
      vatNote: row.reverse_charge === 1 ? REVERSE_CHARGE_NOTE : null,
    },
    buyer: JSON.parse(row.buyer) as Buyer,
    method: row.method,
    status: row.status,
    providerRef: row.provider_ref,
    upgradeUntil: row.upgrade_until === null ? null : Number(row.upgrade_until),
    createdAt: Number(row.created_at),
    paidAt: row.paid_at === null ? null : Number(row.paid_at),
  };
}

function orders(db: Kysely<Database>) {
  return db.selectFrom('orders').innerJoin('tiers', 'tiers.id', 'orders.tier_id').selectAll('orders').select('tiers.name as tier_name');
}

export async function findOrder(db: Kysely<Database>, id: number): Promise<Order | null> {
  const row = await orders(db).where('orders.id', '=', id).executeTakeFirst();
  return row === undefined ? null : toOrder(row);
}

export async function findOrderByPublicId(db: Kysely<Database>, publicId: string): Promise<Order | null> {
  const row = await orders(db).where('orders.public_id', '=', publicId.trim().toUpperCase()).executeTakeFirst();
  return row === undefined ? null : toOrder(row);
}

/** The account's own order; anyone else's is "not found". */
export async function requireOwnOrder(ctx: DomainContext, accountId: number, publicId: string): Promise<Order> {
  const order = await findOrderByPublicId(ctx.store.db, publicId);
  if (order === null || order.accountId !== accountId) throw notFound('No such order');
  return order;
}

/** What a plan would cost this account now, and as which kind of order. */
export interface OrderQuote {
  kind: OrderKind;
  tier: Tier;
  period: BillingPeriod;
  breakdown: PriceBreakdown;
  buyer: Buyer;
  /** For an upgrade: the end of the current period, which it keeps. */
  upgradeUntil: number | null;
}

/**
 * Prices `tierName` for `period` for this account: a new subscription, a
 * renewal of the current plan (added after the current period), or an upgrade
 * to a dearer plan (the price difference for the rest of the current period,
 * same period length). A cheaper plan waits for the current period to end.
 */
export async function quoteOrder(ctx: DomainContext, accountId: number, tierName: string, period: BillingPeriod): Promise<OrderQuote> {
  const tier = await requireTier(ctx, tierName);
  const now = ctx.clock.now();
  const { currency } = ctx.billing;
  const [current, buyer] = await Promise.all([currentSubscription(ctx, accountId), buyerOf(ctx, accountId)]);
  const price = await priceAt(ctx.store.db, tier.id, period, currency, now);
  if (price === null) throw invalid(`${tier.name} is not sold ${period === 'yearly' ? 'yearly' : 'monthly'}`);
  if (current === null || !current.isActive) {
    return { kind: 'new', tier, period, breakdown: priceBreakdown(price, buyer, ctx.billing), buyer, upgradeUntil: null };
  }
  if (current.tier.id === tier.id) {
    return { kind: 'renewal', tier, period, breakdown: priceBreakdown(price, buyer, ctx.billing), buyer, upgradeUntil: null };
  }
  if (current.tier.order < tier.order) {
    const samePeriod = current.billingPeriod ?? period;
    const [was, will] = await Promise.all([
      priceAt(ctx.store.db, current.tier.id, samePeriod, currency, now),
      priceAt(ctx.store.db, tier.id, samePeriod, currency, now),
    ]);
    if (was === null || will === null) throw invalid(`${tier.name} is not sold ${samePeriod}`);
    const net = proratedUpgrade(was, will, { startMs: current.periodStart.getTime(), endMs: current.periodEnd.getTime() }, now);
    return {
      kind: 'upgrade',
      tier,
      period: samePeriod,
      breakdown: priceBreakdown(net, buyer, ctx.billing),
      buyer,
      upgradeUntil: current.periodEnd.getTime(),
    };
  }
  throw conflict(
    `You have ${current.tier.name} until ${current.periodEnd.toISOString().slice(0, 10)}; a lower plan can be bought when it ends.`,
  );
}

/** Places an order at today's price (refused until the buyer's e-mail address is confirmed, unless the operator records it); a later price change does not touch it. */
export async function placeOrder(
  ctx: DomainContext,
  accountId: number,
  request: { tierName: string; period: BillingPeriod; method: OrderMethod },
  db: Kysely<Database> = ctx.store.db,
): Promise<Order> {
  // A subscriber buys only with a confirmed address; what the operator records needs none.
  if (request.method !== 'operator') await requireVerifiedEmail(ctx, accountId);
  const quote = await quoteOrder(ctx, accountId, request.tierName, request.period);
  const now = ctx.clock.now();
  const row = await db
    .insertInto('orders')
    .values({
      public_id: newOrderReference(),
      account_id: accountId,
      kind: quote.kind,
      tier_id: quote.tier.id,
      period: quote.period,
      currency: quote.breakdown.currency,
      net_minor: quote.breakdown.netMinor,
      vat_minor: quote.breakdown.vatMinor,
      total_minor: quote.breakdown.totalMinor,
      vat_rate_bp: quote.breakdown.vatRateBp,
      reverse_charge: quote.breakdown.reverseCharge ? 1 : 0,
      buyer: JSON.stringify(quote.buyer),
      method: request.method,
      status: 'pending',
      provider_ref: null,
      upgrade_until: quote.upgradeUntil,
      created_at: now,
      updated_at: now,
      paid_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(db, ctx.clock, {
    accountId,
    action: 'order.placed',
    detail: { order: Number(row.id), kind: quote.kind, tier: quote.tier.name, period: quote.period, method: request.method, total_minor: quote.breakdown.totalMinor },
  });
  return (await findOrder(db, Number(row.id))) as Order;
}

export async function setOrderProviderRef(db: Kysely<Database>, orderId: number, ref: string, now: number): Promise<void> {
  await db.updateTable('orders').set({ provider_ref: ref, updated_at: now }).where('id', '=', orderId).execute();
}

/** A pending order the buyer gave up (or whose quote ran out); paid ones stay paid. */
export async function closeOrder(db: Kysely<Database>, orderId: number, status: 'cancelled' | 'expired', now: number): Promise<void> {
  await db.updateTable('orders').set({ status, updated_at: now }).where('id', '=', orderId).where('status', '=', 'pending').execute();
}
