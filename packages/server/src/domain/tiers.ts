import { CAPABILITY_FLAGS, type Capabilities, type CapabilityFlag, type Unlocks, type UserLimits } from '@rotki-premium/protocol';
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

let parsedJson: string | null = null;
let parsedTiers: readonly Tier[] = [];

/**
 * The tier list from its JSON text (an array of tier rows, as the signer's
 * statement reads it with every signed request). Parsed again only when the
 * text differs from the last one: the read itself is never skipped, so an
 * operator's edit on any instance shows in the next answer.
 */
export function tiersFromJson(json: string): readonly Tier[] {
  if (json !== parsedJson) {
    parsedTiers = (JSON.parse(json) as TierRow[]).map(toTier);
    parsedJson = json;
  }
  return parsedTiers;
}

export async function listTiers(ctx: DomainContext): Promise<Tier[]> {
  const rows = await ctx.store.hot.tierRows();
  return rows.map(toTier);
}

export async function requireTier(ctx: DomainContext, name: string): Promise<Tier> {
  const tiers = await listTiers(ctx);
  const tier = tiers.find((t) => t.name.toLowerCase() === name.trim().toLowerCase());
  if (tier === undefined) {
    throw notFound(`No tier named "${name}". Tiers: ${tiers.map((t) => t.name).join(', ')}`);
  }
  return tier;
}

/** capability → the cheapest tier that has it (`limits/unlocks`). */
export function unlocksOf(tiers: readonly Tier[]): Unlocks {
  const unlocks: Unlocks = {};
  for (const flag of CAPABILITY_FLAGS) {
    const cheapest = [...tiers].sort((a, b) => a.order - b.order).find((t) => t.capabilities.includes(flag));
    if (cheapest !== undefined) unlocks[flag] = cheapest.name;
  }
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
