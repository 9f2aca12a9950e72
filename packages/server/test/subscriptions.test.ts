import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/domain/audit.ts';
import { DomainError } from '../src/domain/errors.ts';
import {
  addMonths,
  cancelSubscription,
  currentSubscription,
  expireSubscription,
  grantSubscription,
  isSubscriptionActive,
} from '../src/domain/subscriptions.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('addMonths', () => {
  it('keeps the day of the month and the time of day', () => {
    expect(new Date(addMonths(Date.UTC(2025, 2, 15, 8, 30), 1)).toISOString()).toBe('2025-04-15T08:30:00.000Z');
  });

  it('clamps to the last day of a shorter month', () => {
    expect(new Date(addMonths(Date.UTC(2025, 0, 31), 1)).toISOString()).toBe('2025-02-28T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2024, 0, 31), 1)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2025, 2, 31), 1)).toISOString()).toBe('2025-04-30T00:00:00.000Z');
  });

  it('crosses year ends', () => {
    expect(new Date(addMonths(Date.UTC(2025, 11, 15), 1)).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2025, 0, 31), 12)).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2025, 0, 31), 13)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });
});

describe('isSubscriptionActive', () => {
  const now = START_MS;
  it.each([
    ['active', now + 1, true],
    ['active', now, false],
    ['cancelled', now + DAY, true],
    ['cancelled', now - 1, false],
    ['expired', now + DAY, false],
  ] as const)('%s ending %s is active: %s', (status, periodEnd, active) => {
    expect(isSubscriptionActive({ status, period_end: periodEnd }, now)).toBe(active);
  });
});

describe('subscription lifecycle', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('grants a period from now, then extends it from its end and may move the tier', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    const granted = await grantSubscription(t.ctx, account.id, 'basic', 1, 'invoice-1');
    expect(granted).toMatchObject({ status: 'active', isActive: true });
    expect(granted.tier.name).toBe('Basic');
    expect(granted.periodStart.getTime()).toBe(START_MS);
    expect(granted.periodEnd.toISOString()).toBe('2025-02-28T12:00:00.000Z');

    t.clock.advance(10 * DAY);
    const extended = await grantSubscription(t.ctx, account.id, 'Advanced', 2);
    expect(extended.id).toBe(granted.id);
    expect(extended.tier.name).toBe('Advanced');
    expect(extended.periodStart.getTime()).toBe(START_MS);
    expect(extended.periodEnd.toISOString()).toBe('2025-04-28T12:00:00.000Z');

    const actions = (await listAuditEvents(t.ctx.store.db, account.id)).map((e) => e.action);
    expect(actions.filter((a) => a === 'subscription.granted')).toHaveLength(2);
  });

  it('keeps a cancelled subscription active until its period end, then reports it expired', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    const granted = await grantSubscription(t.ctx, account.id, 'Basic', 1);
    t.clock.advance(DAY);
    const cancelled = await cancelSubscription(t.ctx, account.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', isActive: true });
    expect(cancelled.periodEnd).toEqual(granted.periodEnd);

    t.clock.set(granted.periodEnd.getTime() - 1);
    expect(await currentSubscription(t.ctx, account.id)).toMatchObject({ status: 'cancelled', isActive: true });
    t.clock.set(granted.periodEnd.getTime());
    expect(await currentSubscription(t.ctx, account.id)).toMatchObject({ status: 'expired', isActive: false });
  });

  it('expires now, and a later grant starts a new period from that moment', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    await grantSubscription(t.ctx, account.id, 'Basic', 3);
    t.clock.advance(5 * DAY);
    const expired = await expireSubscription(t.ctx, account.id);
    expect(expired).toMatchObject({ status: 'expired', isActive: false });
    expect(expired.periodEnd.getTime()).toBe(START_MS + 5 * DAY);

    t.clock.advance(DAY);
    const renewed = await grantSubscription(t.ctx, account.id, 'Basic', 1);
    expect(renewed.id).not.toBe(expired.id);
    expect(renewed).toMatchObject({ status: 'active', isActive: true });
    expect(renewed.periodStart.getTime()).toBe(START_MS + 6 * DAY);
  });

  it('refuses bad grants and changes to missing or ended subscriptions', async () => {
    const account = await newAccount(t.ctx);
    await expect(grantSubscription(t.ctx, account.id, 'Basic', 0)).rejects.toMatchObject({ kind: 'invalid' });
    await expect(grantSubscription(t.ctx, account.id, 'Basic', 121)).rejects.toMatchObject({ kind: 'invalid' });
    await expect(grantSubscription(t.ctx, account.id, 'Gold', 1)).rejects.toMatchObject({
      kind: 'not_found',
      message: 'No tier named "Gold". Tiers: Supporter, Basic, Advanced',
    });
    await expect(cancelSubscription(t.ctx, account.id)).rejects.toBeInstanceOf(DomainError);
    await expect(expireSubscription(t.ctx, account.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await currentSubscription(t.ctx, account.id)).toBeNull();

    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    await expireSubscription(t.ctx, account.id);
    await expect(cancelSubscription(t.ctx, account.id)).rejects.toMatchObject({
      kind: 'invalid',
      message: 'The subscription is not active',
    });
  });
});
