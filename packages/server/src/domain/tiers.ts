import { CAPABILITY_FLAGS, type Capabilities, type CapabilityFlag, type Unlocks, type UserLimits } from '@rotki-premium/protocol';
import type { Store } from '../store/database.ts';
import type { TierRow } from '../store/schema.ts';
import type { DomainContext } from './context.ts';
import { notFound } from './errors.ts';

export interface Tier {
  id: number;
  name: string;
  order: number;
  deviceLimit: number;
  /** MiB. */
  maxBackupSizeMb: number;
  /** Versions of a backup kept, the current one included. */
  backupVersions: number;
  pnlEventsLimit: number;
  historyEventsLimit: number;
  reportsLookupLimit: number;
  ethStakedLimit: number;
  capabilities: CapabilityFlag[];
}

export function toTier(row: TierRow): Tier {
  const flags = JSON.parse(row.capabilities) as string[];
  return {
    id: Number(row.id),
    name: row.name,
    order: row.display_order,
    deviceLimit: row.device_limit,
    maxBackupSizeMb: row.max_backup_size_mb,
    backupVersions: Number(row.backup_versions),
    pnlEventsLimit: row.pnl_events_limit,
    historyEventsLimit: row.history_events_limit,
    reportsLookupLimit: row.reports_lookup_limit,
    ethStakedLimit: row.eth_staked_limit,
    capabilities: CAPABILITY_FLAGS.filter((flag) => flags.includes(flag)),
  };
}

/** Each store's tier list as last read, with the version number it was read at. */
const heldTiers = new WeakMap<Store, { version: number; tiers: readonly Tier[] }>();

/**
 * The tier list as of `version` (the tier list's version number a request
 * read: with the signer's row, or by `listTiers`). The list held in memory
 * serves while its version is the one read; any other number (a tier written
 * since, on any instance: migration 020's triggers raise it in the same
 * transaction) reads the list again, with its version in the same statement.
 * A null version (no version row) always reads the list.
 */
export async function tiersAsOf(ctx: DomainContext, version: number | null): Promise<readonly Tier[]> {
  const held = heldTiers.get(ctx.store);
  if (held !== undefined && version !== null && held.version === version) return held.tiers;
  const list = await ctx.store.hot.tierList();
  const tiers: readonly Tier[] = Object.freeze(list.rows.map(toTier));
  if (list.version !== null) heldTiers.set(ctx.store, { version: list.version, tiers });
  return tiers;
}

/**
 * The tier `id` from `tiers`; from a fresh read when it is not there (a
 * subscription's tier always exists: the foreign key keeps it).
 */
export async function tierIn(ctx: DomainContext, tiers: readonly Tier[], id: number): Promise<Tier> {
  const tier = tiers.find((t) => t.id === id) ?? (await tiersAsOf(ctx, null)).find((t) => t.id === id);
  if (tier === undefined) throw new Error(`Tier ${id} is missing`);
  return tier;
}

/** Every tier in display order, as of now: one primary-key read, and the list itself when it changed. */
export async function listTiers(ctx: DomainContext): Promise<readonly Tier[]> {
  return tiersAsOf(ctx, await ctx.store.hot.tiersVersion());
}

export async function requireTier(ctx: DomainContext, name: string): Promise<Tier> {
  const tiers = await listTiers(ctx);
  const tier = tiers.find((t) => t.name.toLowerCase() === name.trim().toLowerCase());
  if (tier === undefined) {
    throw notFound(`No tier named "${name}". Tiers: ${tiers.map((t) => t.name).join(', ')}`);
  }
  return tier;
}

const unlocksByList = new WeakMap<readonly Tier[], Readonly<Unlocks>>();

/** capability → the cheapest tier that has it (`limits/unlocks`); worked out once per list held. */
export function unlocksOf(tiers: readonly Tier[]): Readonly<Unlocks> {
  const known = unlocksByList.get(tiers);
  if (known !== undefined) return known;
  const unlocks: Unlocks = {};
  for (const flag of CAPABILITY_FLAGS) {
    const cheapest = [...tiers].sort((a, b) => a.order - b.order).find((t) => t.capabilities.includes(flag));
    if (cheapest !== undefined) unlocks[flag] = cheapest.name;
  }
  unlocksByList.set(tiers, Object.freeze(unlocks));
  return unlocks;
}

export function capabilitiesOf(tier: Tier): Capabilities {
  const has = (flag: CapabilityFlag) => tier.capabilities.includes(flag);
  return {
    eth_staking_view: has('eth_staking_view'),
    graphs_view: has('graphs_view'),
    event_analysis_view: has('event_analysis_view'),
    asset_movement_matching: has('asset_movement_matching'),
    gnosispay: has('gnosispay'),
    monerium: has('monerium'),
    mcp: has('mcp'),
  };
}

/** The `GET /nest/1/limits` body for a subscriber of `tier`. */
export function userLimitsOf(tier: Tier, unlocks: Unlocks): UserLimits {
  return {
    current_tier: tier.name,
    limit_of_devices: tier.deviceLimit,
    pnl_events_limit: tier.pnlEventsLimit,
    max_backup_size_mb: tier.maxBackupSizeMb,
    history_events_limit: tier.historyEventsLimit,
    reports_lookup_limit: tier.reportsLookupLimit,
    eth_staked_limit: tier.ethStakedLimit,
    ...capabilitiesOf(tier),
    unlocks,
  };
}
