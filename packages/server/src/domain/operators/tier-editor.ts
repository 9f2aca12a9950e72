import { CAPABILITY_FLAGS } from '@rotki-premium/protocol';
import type { AdminTier, TierChange, TierImpact } from '@rotki-premium/protocol/admin-api';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { currentPrices, setTierPrice, type TierPrices } from '../billing/prices.ts';
import { formatMoney } from '../billing/money.ts';
import { listTiers, type Tier } from '../tiers.ts';

async function activeCounts(ctx: DomainContext): Promise<Map<number, number>> {
  const now = ctx.clock.now();
  const rows = await ctx.store.db
    .selectFrom('subscriptions')
    .select(['tier_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('status', '!=', 'expired')
    .where('period_end', '>', now)
    .groupBy('tier_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.tier_id), Number(r.n)]));
}

function adminTier(tier: Tier, prices: TierPrices | undefined, currency: string, active: number): AdminTier {
  return {
    id: tier.id,
    name: tier.name,
    order: tier.order,
    deviceLimit: tier.deviceLimit,
    maxBackupSizeMb: tier.maxBackupSizeMb,
    backupVersions: tier.backupVersions,
    historyEventsLimit: tier.historyEventsLimit,
    pnlEventsLimit: tier.pnlEventsLimit,
    reportsLookupLimit: tier.reportsLookupLimit,
    ethStakedLimit: tier.ethStakedLimit,
    capabilities: [...tier.capabilities],
    monthlyPriceMinor: prices?.monthly ?? null,
    yearlyPriceMinor: prices?.yearly ?? null,
    currency,
    activeSubscribers: active,
  };
}

export async function tiersWithSubscribers(ctx: DomainContext): Promise<AdminTier[]> {
  const [tiers, counts] = await Promise.all([listTiers(ctx), activeCounts(ctx)]);
  const prices = await currentPrices(ctx, tiers);
  return tiers.map((t) => adminTier(t, prices.get(t.id), ctx.billing.currency, counts.get(t.id) ?? 0));
}

async function requireTierById(ctx: DomainContext, id: number): Promise<AdminTier> {
  const tier = (await tiersWithSubscribers(ctx)).find((t) => t.id === id);
  if (tier === undefined) throw notFound('No tier with this id');
  return tier;
}

function checkCapabilities(change: TierChange): void {
  const unknown = change.capabilities.filter((c) => !(CAPABILITY_FLAGS as readonly string[]).includes(c));
  if (unknown.length > 0) throw invalid(`Unknown capabilities: ${unknown.join(', ')}`);
}

function limitEffect(label: string, before: number, after: number, n: number, tier: string): string | null {
  if (before === after) return null;
  const who = `${n} active ${tier} subscriber${n === 1 ? '' : 's'}`;
  return after < before
    ? `${label} goes down from ${before} to ${after} for ${who}, at their next request.`
    : `${label} goes up from ${before} to ${after} for ${who}, at their next request.`;
}

/** What saving `change` would do to the tier's subscribers, sentence by sentence, before anything is saved. */
export async function tierChangeImpact(ctx: DomainContext, tierId: number, change: TierChange): Promise<TierImpact> {
  checkCapabilities(change);
  const tier = await requireTierById(ctx, tierId);
  const n = tier.activeSubscribers;
  const effects: string[] = [];
  const push = (effect: string | null) => {
    if (effect !== null) effects.push(effect);
  };
  push(limitEffect('The device limit', tier.deviceLimit, change.deviceLimit, n, tier.name));
  if (change.deviceLimit < tier.deviceLimit) {
    effects.push('Devices already registered stay registered; subscribers over the new limit cannot add a device until they remove some.');
  }
  push(limitEffect('The backup size (MiB)', tier.maxBackupSizeMb, change.maxBackupSizeMb, n, tier.name));
  if (change.maxBackupSizeMb < tier.maxBackupSizeMb) {
    effects.push('Stored backups stay; a new upload larger than the new size is refused.');
  }
  push(limitEffect('The backup versions kept', tier.backupVersions, change.backupVersions, n, tier.name));
  if (change.backupVersions < tier.backupVersions) {
    effects.push('Earlier versions beyond the new count are removed at each subscriber\'s next upload.');
  }
  push(limitEffect('The history events limit', tier.historyEventsLimit, change.historyEventsLimit, n, tier.name));
  push(limitEffect('The PnL events limit', tier.pnlEventsLimit, change.pnlEventsLimit, n, tier.name));
  push(limitEffect('The reports lookup limit', tier.reportsLookupLimit, change.reportsLookupLimit, n, tier.name));
  push(limitEffect('The ETH staked limit', tier.ethStakedLimit, change.ethStakedLimit, n, tier.name));
  const lost = tier.capabilities.filter((c) => !change.capabilities.includes(c));
  const gained = change.capabilities.filter((c) => !tier.capabilities.includes(c));
  if (lost.length > 0) effects.push(`${n} active ${tier.name} subscriber(s) lose ${lost.join(', ')} at the app's next premium check.`);
  if (gained.length > 0) effects.push(`${n} active ${tier.name} subscriber(s) gain ${gained.join(', ')} at the app's next premium check.`);
  for (const [label, before, after] of [
    ['monthly', tier.monthlyPriceMinor, change.monthlyPriceMinor],
    ['yearly', tier.yearlyPriceMinor, change.yearlyPriceMinor],
  ] as const) {
    if (before === after) continue;
    const was = before === null ? 'not sold' : formatMoney(before, tier.currency);
    effects.push(
      `The ${label} price changes from ${was} to ${formatMoney(after, tier.currency)} for periods bought from now on; periods already paid and orders already placed keep their price.`,
    );
  }
  if (effects.length === 0) effects.push('Nothing changes.');
  return { activeSubscribers: n, effects };
}

/** Saves a tier's limits, capabilities and prices; limits apply to its subscribers at their next request. */
export async function updateTier(ctx: DomainContext, tierId: number, change: TierChange): Promise<AdminTier> {
  const impact = await tierChangeImpact(ctx, tierId, change);
  const before = await requireTierById(ctx, tierId);
  await ctx.store.db
    .updateTable('tiers')
    .set({
      device_limit: change.deviceLimit,
      max_backup_size_mb: change.maxBackupSizeMb,
      backup_versions: change.backupVersions,
      history_events_limit: change.historyEventsLimit,
      pnl_events_limit: change.pnlEventsLimit,
      reports_lookup_limit: change.reportsLookupLimit,
      eth_staked_limit: change.ethStakedLimit,
      capabilities: JSON.stringify(CAPABILITY_FLAGS.filter((c) => change.capabilities.includes(c))),
    })
    .where('id', '=', tierId)
    .execute();
  // Prices go through the billing area's one way of setting them (valid from now, audited there).
  if (change.monthlyPriceMinor !== before.monthlyPriceMinor) await setTierPrice(ctx, before.name, 'monthly', change.monthlyPriceMinor);
  if (change.yearlyPriceMinor !== before.yearlyPriceMinor) await setTierPrice(ctx, before.name, 'yearly', change.yearlyPriceMinor);
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId: null,
    action: 'tier.changed',
    detail: { tier: before.name, effects: impact.effects },
  });
  return requireTierById(ctx, tierId);
}
