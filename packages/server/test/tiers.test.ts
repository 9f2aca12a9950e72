import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserLimits } from '@rotki-premium/protocol';
import { capabilitiesOf, listTiers, requireTier, unlocksOf, userLimitsOf, type Tier } from '../src/domain/tiers.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

function tier(name: string, order: number, capabilities: Tier['capabilities']): Tier {
  return {
    id: order,
    name,
    order,
    deviceLimit: order,
    maxBackupSizeMb: 10 * order,
    backupVersions: order,
    pnlEventsLimit: 1000 * order,
    historyEventsLimit: 2000 * order,
    reportsLookupLimit: 10 * order,
    ethStakedLimit: 32 * order,
    capabilities,
  };
}

describe('unlocksOf', () => {
  it('names the cheapest tier that has each capability, whatever the list order', () => {
    const tiers = [
      tier('Advanced', 3, ['graphs_view', 'mcp', 'gnosispay']),
      tier('Supporter', 1, []),
      tier('Basic', 2, ['graphs_view']),
    ];
    expect(unlocksOf(tiers)).toEqual({ graphs_view: 'Basic', gnosispay: 'Advanced', mcp: 'Advanced' });
  });

  it('leaves out capabilities no tier has', () => {
    expect(unlocksOf([tier('Supporter', 1, [])])).toEqual({});
  });
});

describe('capabilitiesOf', () => {
  it('gives every flag, true only for the tier’s own', () => {
    expect(capabilitiesOf(tier('Basic', 2, ['eth_staking_view', 'monerium']))).toEqual({
      eth_staking_view: true,
      graphs_view: false,
      event_analysis_view: false,
      asset_movement_matching: false,
      gnosispay: false,
      monerium: true,
      mcp: false,
    });
  });
});

describe('default tiers', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('seeds Supporter < Basic < Advanced with the §7.1 figures', async () => {
    const tiers = await listTiers(t.ctx);
    expect(tiers.map((x) => [x.name, x.deviceLimit, x.maxBackupSizeMb])).toEqual([
      ['Supporter', 1, 0],
      ['Basic', 2, 150],
      ['Advanced', 4, 600],
    ]);
  });

  it('builds the limits body of a Basic subscriber with every key the rotki app reads', async () => {
    const tiers = await listTiers(t.ctx);
    const basic = await requireTier(t.ctx, ' basic ');
    const limits = userLimitsOf(basic, unlocksOf(tiers));
    expect(UserLimits.strict().parse(limits)).toEqual({
      current_tier: 'Basic',
      limit_of_devices: 2,
      pnl_events_limit: 30_000,
      max_backup_size_mb: 150,
      history_events_limit: 30_000,
      reports_lookup_limit: 100,
      eth_staked_limit: 128,
      eth_staking_view: true,
      graphs_view: true,
      event_analysis_view: true,
      asset_movement_matching: true,
      gnosispay: false,
      monerium: false,
      mcp: false,
      unlocks: {
        eth_staking_view: 'Basic',
        graphs_view: 'Basic',
        event_analysis_view: 'Basic',
        asset_movement_matching: 'Basic',
        gnosispay: 'Advanced',
        monerium: 'Advanced',
        mcp: 'Advanced',
      },
    });
  });

  it('names the known tiers when a tier is unknown', async () => {
    await expect(requireTier(t.ctx, 'Pro')).rejects.toMatchObject({
      kind: 'not_found',
      message: 'No tier named "Pro". Tiers: Supporter, Basic, Advanced',
    });
  });
});
