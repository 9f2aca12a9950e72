import {
  AuthErrorCode,
  decodeApiSecret,
  messages,
  signParams,
  urlencode,
  type PythonValue,
  type SignMethod,
} from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentials, type ApiCredentials } from '../src/domain/credentials.ts';
import { sweepReplayNonces } from '../src/domain/sweeps.ts';
import { cancelSubscription, expireSubscription, grantSubscription } from '../src/domain/subscriptions.ts';
import { AuthFailure, verifySignedRequest, type SignedRequestInput } from '../src/http/signed/authenticate.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

const WINDOW_MS = 300_000;

function signed(pair: ApiCredentials, method: SignMethod, params: [string, PythonValue][], nonce?: number): SignedRequestInput {
  const all: [string, PythonValue][] = nonce === undefined ? params : [...params, ['nonce', nonce]];
  return {
    apiKey: pair.apiKey,
    apiSign: signParams(decodeApiSecret(pair.apiSecret) ?? Buffer.alloc(0), method, all),
    signMethod: method,
    encodedParams: urlencode(all),
    nonce: nonce === undefined ? undefined : String(nonce),
    requireNonce: method !== 'watchers',
  };
}

describe('verifySignedRequest', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;
  let pair: ApiCredentials;
  let accountId: number;

  const verify = (input: SignedRequestInput) => verifySignedRequest(t.ctx, { nonceWindowMs: WINDOW_MS }, input);
  const refusal = async (input: SignedRequestInput) => {
    const error = await verify(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthFailure);
    return { code: (error as AuthFailure).code, message: (error as AuthFailure).message };
  };

  beforeAll(async () => {
    t = await createTestContext();
    const account = await newAccount(t.ctx);
    accountId = account.id;
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    pair = await createCredentials(t.ctx, account.id);
  }, SCRYPT_TIMEOUT_MS);
  afterAll(async () => {
    await t.cleanup();
  });

  it('accepts a valid request and names its subscriber and tier', async () => {
    t.clock.set(START_MS);
    const subscriber = await verify(signed(pair, 'limits', [], START_MS));
    expect(subscriber).toMatchObject({ accountId, apiKey: pair.apiKey });
    expect(subscriber.tier.name).toBe('Basic');
  });

  it('accepts nonces exactly at the window edges and refuses one millisecond beyond', async () => {
    t.clock.set(START_MS + 10_000);
    const now = t.clock.now();
    await expect(verify(signed(pair, 'limits', [], now - WINDOW_MS))).resolves.toBeDefined();
    await expect(verify(signed(pair, 'limits', [], now + WINDOW_MS))).resolves.toBeDefined();
    const outside = { code: AuthErrorCode.NonceOutsideWindow, message: messages.nonceOutsideWindow(300) };
    expect(await refusal(signed(pair, 'limits', [], now - WINDOW_MS - 1))).toEqual(outside);
    expect(await refusal(signed(pair, 'limits', [], now + WINDOW_MS + 1))).toEqual(outside);
    expect(await refusal(signed(pair, 'limits', []))).toEqual(outside);
  });

  it('accepts each (key, nonce, signature) once, whichever endpoint it is sent to', async () => {
    t.clock.set(START_MS + 20_000);
    const input = signed(pair, 'devices', [['device_identifier', 'aa']], t.clock.now());
    await verify(input);
    expect(await refusal(input)).toEqual({ code: AuthErrorCode.Replayed, message: messages.replayed() });
  });

  it('forgets accepted triples once their nonce can no longer pass the window', async () => {
    t.clock.set(START_MS + 30_000);
    await verify(signed(pair, 'limits', [], t.clock.now()));
    t.clock.advance(2 * WINDOW_MS + 1);
    expect(await sweepReplayNonces(t.ctx)).toBeGreaterThan(0);
  });

  it('refuses an unknown key and a wrong signature with their own messages', async () => {
    t.clock.set(START_MS + 40_000);
    const input = signed(pair, 'limits', [], t.clock.now());
    expect(await refusal({ ...input, apiKey: `${pair.apiKey.slice(0, -1)}${pair.apiKey.endsWith('x') ? 'y' : 'x'}` })).toEqual({
      code: AuthErrorCode.UnknownApiKey,
      message: messages.unknownApiKey(),
    });
    expect(await refusal({ ...input, encodedParams: `nonce=${t.clock.now() + 1}` })).toEqual({
      code: AuthErrorCode.SignatureMismatch,
      message: messages.signatureMismatch(),
    });
    // The same string signed as another method (hex versus raw digest, another path) does not verify.
    expect((await refusal({ ...input, signMethod: 'last_data_metadata' })).code).toBe(AuthErrorCode.SignatureMismatch);
  });

  it('verifies watchers without a nonce, as the rotki app signs them', async () => {
    t.clock.set(START_MS + 50_000);
    const input = signed(pair, 'watchers', []);
    await expect(verify(input)).resolves.toBeDefined();
    await expect(verify(input)).resolves.toBeDefined();
  });

  it('keeps a cancelled subscription working until its period end, then names the end date', async () => {
    const account = await newAccount(t.ctx);
    t.clock.set(START_MS);
    const granted = await grantSubscription(t.ctx, account.id, 'Basic', 1);
    const own = await createCredentials(t.ctx, account.id);
    await cancelSubscription(t.ctx, account.id);
    t.clock.set(granted.periodEnd.getTime() - 1);
    await expect(verify(signed(own, 'limits', [], t.clock.now()))).resolves.toBeDefined();
    t.clock.set(granted.periodEnd.getTime());
    expect(await refusal(signed(own, 'limits', [], t.clock.now()))).toEqual({
      code: AuthErrorCode.SubscriptionInactive,
      message: 'Your rotki premium subscription is not active: it ended on 2025-02-28.',
    });
  });

  it('refuses an expired subscription with the day it ended', async () => {
    const account = await newAccount(t.ctx);
    t.clock.set(START_MS);
    await grantSubscription(t.ctx, account.id, 'Basic', 1);
    const own = await createCredentials(t.ctx, account.id);
    t.clock.set(Date.UTC(2025, 1, 3, 9));
    await expireSubscription(t.ctx, account.id);
    t.clock.advance(1);
    expect(await refusal(signed(own, 'limits', [], t.clock.now()))).toEqual({
      code: AuthErrorCode.SubscriptionInactive,
      message: 'Your rotki premium subscription is not active: it ended on 2025-02-03.',
    });
  });
});
