import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { DEFAULT_MONTHLY_PRICES } from '../../store/seed-tiers.ts';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { requireTier, type Tier } from '../tiers.ts';
import { BILLING_PERIODS, type BillingPeriod } from './settings.ts';

/** A tier's current prices in the operator's currency; null: not sold for that period. */
export interface TierPrices {
  monthly: number | null;
  yearly: number | null;
}

/** Largest accepted price: far above any plan, far below 2^53. */
const MAX_PRICE_MINOR = 100_000_000_00;

/**
 * The price in force at `at` for `tierId`/`period` in `currency`: the row with
 * the latest `valid_from` not after `at`. Orders copy it when placed, so a
 * change applies to periods bought afterwards only.
 */
export async function priceAt(
  db: Kysely<Database>,
  tierId: number,
  period: BillingPeriod,
  currency: string,
  at: number,
): Promise<number | null> {
  const row = await db
    .selectFrom('tier_prices')
    .select('amount_minor')
    .where('tier_id', '=', tierId)
    .where('period', '=', period)
    .where('currency', '=', currency)
    .where('valid_from', '<=', at)
    .orderBy('valid_from', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? null : Number(row.amount_minor);
}

/** Current prices of every tier, by tier id. */
export async function currentPrices(ctx: DomainContext, tiers: readonly Tier[]): Promise<Map<number, TierPrices>> {
  const now = ctx.clock.now();
  const prices = new Map<number, TierPrices>();
  for (const tier of tiers) {
    const [monthly, yearly] = await Promise.all(
      BILLING_PERIODS.map((period) => priceAt(ctx.store.db, tier.id, period, ctx.billing.currency, now)),
    );
    prices.set(tier.id, { monthly: monthly ?? null, yearly: yearly ?? null });
  }
  return prices;
}

export function parseBillingPeriod(value: string): BillingPeriod {
  const period = value.trim().toLowerCase();
  if (period === 'monthly' || period === 'yearly') return period;
  throw invalid(`Period must be "monthly" or "yearly", got "${value}"`);
}

/**
 * Sets the price of `tierName` for `period` from now on. Orders already
 * placed and periods already paid keep the price they had.
 */
export async function setTierPrice(ctx: DomainContext, tierName: string, period: BillingPeriod, amountMinor: number): Promise<Tier> {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0 || amountMinor > MAX_PRICE_MINOR) {
    throw invalid('The price must be a whole number of minor units (cents) from 0');
  }
  const tier = await requireTier(ctx, tierName);
  const now = ctx.clock.now();
  await ctx.store.db
    .insertInto('tier_prices')
    .values({ tier_id: tier.id, period, currency: ctx.billing.currency, amount_minor: amountMinor, valid_from: now })
    .execute();
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId: null,
    action: 'tier.price_set',
    detail: { tier: tier.name, period, currency: ctx.billing.currency, amount_minor: amountMinor },
  });
  return tier;
}

/**
 * Gives the default tiers their default prices in the configured currency
 * when they have none in it yet (a new installation, or a new currency).
 */
export async function seedDefaultPrices(db: Kysely<Database>, currency: string): Promise<void> {
  const tiers = await db.selectFrom('tiers').select(['id', 'name']).execute();
  for (const tier of tiers) {
    const monthly = DEFAULT_MONTHLY_PRICES[tier.name];
    if (monthly === undefined) continue;
    const existing = await db
      .selectFrom('tier_prices')
      .select('id')
      .where('tier_id', '=', tier.id)
      .where('currency', '=', currency)
      .limit(1)
      .executeTakeFirst();
    if (existing !== undefined) continue;
    await db
      .insertInto('tier_prices')
      .values([
        { tier_id: tier.id, period: 'monthly', currency, amount_minor: monthly, valid_from: 0 },
        { tier_id: tier.id, period: 'yearly', currency, amount_minor: monthly * 10, valid_from: 0 },
      ])
      .execute();
  }
}
