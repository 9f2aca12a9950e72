import { CAPABILITY_FLAGS, type CapabilityFlag, type Unlocks, type UserLimits } from '@rotki-premium/protocol';

/** One capability as the local API shows it (PROTOCOL.md §7.3). */
export interface CapabilityView {
  enabled: boolean;
  /** The cheapest tier that has it, or null when no tier does (or the server did not say). */
  minimum_tier: string | null;
}

export type CapabilitiesView = {
  current_tier: string;
  limit_of_devices: number;
  pnl_events_limit: number;
  max_backup_size_mb: number;
  history_events_limit: number;
  reports_lookup_limit: number;
  eth_staked_limit: number;
} & Record<CapabilityFlag, CapabilityView>;

/** The limits of a user without premium, as the rotki app defines them. */
export const FREE_LIMITS = {
  current_tier: 'Free',
  limit_of_devices: 0,
  max_backup_size_mb: 0,
  history_events_limit: 1000,
  pnl_events_limit: 1000,
  reports_lookup_limit: 20,
  eth_staked_limit: 0,
} as const;

/** Each capability flag becomes `{enabled, minimum_tier}`; the numbers stay as they are. */
export function reshapeCapabilities(limits: UserLimits | null, unlocks: Unlocks): CapabilitiesView {
  const base = limits ?? FREE_LIMITS;
  const view = {
    current_tier: base.current_tier,
    limit_of_devices: base.limit_of_devices,
    pnl_events_limit: base.pnl_events_limit,
    max_backup_size_mb: base.max_backup_size_mb,
    history_events_limit: base.history_events_limit,
    reports_lookup_limit: base.reports_lookup_limit,
    eth_staked_limit: base.eth_staked_limit,
  } as CapabilitiesView;
  for (const flag of CAPABILITY_FLAGS) {
    view[flag] = { enabled: limits?.[flag] === true, minimum_tier: unlocks[flag] ?? null };
  }
  return view;
}
