import { isWellFormedApiKey, isWellFormedApiSecret } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/domain/audit.ts';
import {
  createCredentials,
  findSignerByApiKey,
  getCredentials,
  regenerateCredentials,
} from '../src/domain/credentials.ts';
import { cancelSubscription, expireSubscription, grantSubscription } from '../src/domain/subscriptions.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

describe('API credentials', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('needs an active subscription to create', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    await expect(createCredentials(t.ctx, account.id)).rejects.toMatchObject({
      kind: 'invalid',
      message: 'No active subscription: API credentials need an active subscription',
    });
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    await expireSubscription(t.ctx, account.id);
    await expect(createCredentials(t.ctx, account.id)).rejects.toMatchObject({ kind: 'invalid' });
    expect(await getCredentials(t.ctx, account.id)).toBeNull();
  });

  it('creates one well-formed pair, keeps the secret encrypted at rest, and refuses a second Create', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    const pair = await createCredentials(t.ctx, account.id, { via: 'cli', ip: '192.0.2.1' });
    expect(isWellFormedApiKey(pair.apiKey)).toBe(true);
    expect(isWellFormedApiSecret(pair.apiSecret)).toBe(true);
    expect(pair.createdAt.getTime()).toBe(START_MS);
    expect(await getCredentials(t.ctx, account.id)).toEqual(pair);

    const row = await t.ctx.store.db.selectFrom('api_credentials').selectAll().where('account_id', '=', account.id).executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toContain(pair.apiSecret.slice(4, 20));

    await expect(createCredentials(t.ctx, account.id)).rejects.toMatchObject({
      kind: 'conflict',
      message: 'API credentials already exist for this account; use Regenerate to replace them',
    });
    const audit = await listAuditEvents(t.ctx.store.db, account.id);
    const created = audit.find((e) => e.action === 'credentials.created');
    expect(created?.detail).toEqual({ api_key_prefix: pair.apiKey.slice(0, 10), via: 'cli' });
    expect(JSON.stringify(audit)).not.toContain(pair.apiSecret);
  });

  it('regenerates: the old key is unknown at once and the new pair signs', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    await expect(regenerateCredentials(t.ctx, account.id)).rejects.toMatchObject({
      kind: 'not_found',
      message: 'No API credentials yet: create them first',
    });
    const first = await createCredentials(t.ctx, account.id);
    t.clock.advance(1_000);
    const second = await regenerateCredentials(t.ctx, account.id);
    expect(second.apiKey).not.toBe(first.apiKey);
    expect(second.apiSecret).not.toBe(first.apiSecret);
    expect(second.createdAt.getTime()).toBe(START_MS + 1_000);
    expect(await findSignerByApiKey(t.ctx, first.apiKey)).toBeNull();
    expect(await findSignerByApiKey(t.ctx, second.apiKey)).toMatchObject({
      accountId: account.id,
      username: account.username,
      apiSecret: second.apiSecret,
    });
  });

  it('reports the signer’s subscription as active through a cancellation until the period end', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    const granted = await grantSubscription(t.ctx, account.id, 'Advanced', 1);
    const pair = await createCredentials(t.ctx, account.id);
    await cancelSubscription(t.ctx, account.id);

    const signer = await findSignerByApiKey(t.ctx, pair.apiKey);
    expect(signer?.subscription).toMatchObject({ active: true, periodEnd: granted.periodEnd });
    expect(signer?.subscription?.tier.name).toBe('Advanced');

    t.clock.set(granted.periodEnd.getTime());
    expect((await findSignerByApiKey(t.ctx, pair.apiKey))?.subscription?.active).toBe(false);
  });
});
