import type { Kysely } from 'kysely';
import type { CapabilityFlag } from '@rotki-premium/protocol';
import type { Database, InsertableTierRow } from './schema.ts';

function tier(
  name: string,
  order: number,
  limits: Omit<InsertableTierRow, 'name' | 'display_order' | 'capabilities'>,
  capabilities: CapabilityFlag[],
): InsertableTierRow {
  return { name, display_order: order, ...limits, capabilities: JSON.stringify(capabilities) };
}

/**
 * The tiers a new installation starts with (PROTOCOL.md §7.1 figures for Basic
 * and Advanced). The operator may change them afterwards.
 */
export const DEFAULT_TIERS: readonly InsertableTierRow[] = [
  tier(
    'Supporter',
    1,
    {
      device_limit: 1,
      max_backup_size_mb: 0,
      backup_versions: 0,
      pnl_events_limit: 5_000,
      history_events_limit: 5_000,
      reports_lookup_limit: 50,
      eth_staked_limit: 32,
    },
    [],
  ),
  tier(
    'Basic',
    2,
    {
      device_limit: 2,
      max_backup_size_mb: 150,
      backup_versions: 3,
      pnl_events_limit: 30_000,
      history_events_limit: 30_000,
      reports_lookup_limit: 100,
      eth_staked_limit: 128,
    },
    ['eth_staking_view', 'graphs_view', 'event_analysis_view', 'asset_movement_matching'],
  ),
  tier(
    'Advanced',
    3,
    {
      device_limit: 4,
      max_backup_size_mb: 600,
      backup_versions: 10,
      pnl_events_limit: 100_000,
      history_events_limit: 100_000,
      reports_lookup_limit: 300,
      eth_staked_limit: 384,
    },
    ['eth_staking_view', 'graphs_view', 'event_analysis_view', 'asset_movement_matching', 'gnosispay', 'monerium', 'mcp'],
  ),
];

/**
 * What the default tiers cost per month in a new installation's currency, in
 * minor units; a year costs ten months. The operator changes them with
 * `admin tiers set-price`.
 */
export const DEFAULT_MONTHLY_PRICES: Readonly<Record<string, number>> = { Supporter: 500, Basic: 1_800, Advanced: 3_600 };

export async function seedDefaultTiers(db: Kysely<Database>): Promise<void> {
  const existing = await db.selectFrom('tiers').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(existing.n) > 0) return;
  await db.insertInto('tiers').values([...DEFAULT_TIERS]).onConflict((c) => c.column('name').doNothing()).execute();
}
