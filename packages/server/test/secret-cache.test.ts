import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthErrorCode, decodeApiSecret, signParams, urlencode } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BILLING } from '../src/domain/billing/settings.ts';
import type { DomainContext } from '../src/domain/context.ts';
import { createCredentials, regenerateCredentials, type ApiCredentials } from '../src/domain/credentials.ts';
import { KeyRing } from '../src/domain/keyring.ts';
import { revokeCredentials } from '../src/domain/operators/customers.ts';
import { isSecretCached } from '../src/domain/secret-cache.ts';
import { grantSubscription } from '../src/domain/subscriptions.ts';
import { AuthFailure, verifySignedRequest, type SignedRequestInput } from '../src/http/signed/authenticate.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { ManualClock, newAccount, SCRYPT_TIMEOUT_MS, START_MS } from './support/test-context.ts';
import { TEST_PASSWORD_HASH_COST } from '../../../test-support/server-process.ts';

const WINDOW_MS = 300_000;
let nonce = START_MS;

function signedLimits(pair: ApiCredentials): SignedRequestInput {
  nonce += 1;
  const params: [string, number][] = [['nonce', nonce]];
  return {
    apiKey: pair.apiKey,
    apiSign: signParams(decodeApiSecret(pair.apiSecret) ?? Buffer.alloc(0), 'limits', params),
    signMethod: 'limits',
    encodedParams: urlencode(params),
    nonce: String(nonce),
    requireNonce: true,
  };
}

/**
 * Two server instances on one database, each with its own cache of decrypted
 * secrets (its own key ring object over the same master key): what one
 * instance changes, the other honours on the very next request.
 */
describe('decrypted secrets cached per instance', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let dataDir: string;
  let a: DomainContext;
  let b: DomainContext;
  let accountId: number;
  let pair: ApiCredentials;

  const verifyOn = (ctx: DomainContext, input: SignedRequestInput) => verifySignedRequest(ctx, { nonceWindowMs: WINDOW_MS }, input);
  const refusalOn = async (ctx: DomainContext, input: SignedRequestInput) => {
    const error = await verifyOn(ctx, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthFailure);
    return (error as AuthFailure).code;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-secret-cache-'));
    const masterKey = randomBytes(32);
    const clock = new ManualClock(START_MS);
    const instance = (): DomainContext => ({
      store: openStore({ dataDir }),
      clock,
      keyRing: new KeyRing(masterKey),
      siteUrl: 'https://premium.example.test',
      billing: DEFAULT_BILLING,
      passwordHashCost: TEST_PASSWORD_HASH_COST,
    });
    a = instance();
    await migrateToLatest(a.store);
    b = instance();
    const account = await newAccount(a);
    accountId = account.id;
    await grantSubscription(a, accountId, 'Basic', 1);
    pair = await createCredentials(a, accountId);
  }, SCRYPT_TIMEOUT_MS);
  afterAll(async () => {
    await a.store.destroy();
    await b.store.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('decrypts a secret once and reuses it while the stored pair is unchanged', async () => {
    expect(isSecretCached(b, accountId)).toBe(false);
    await verifyOn(b, signedLimits(pair));
    expect(isSecretCached(b, accountId)).toBe(true);
    await expect(verifyOn(b, signedLimits(pair))).resolves.toMatchObject({ accountId });
  });

  it('refuses a regenerated pair at once on the instance that cached its secret, and accepts the new one', async () => {
    await verifyOn(a, signedLimits(pair));
    await verifyOn(b, signedLimits(pair));
    const renewed = await regenerateCredentials(a, accountId);
    // The instance that regenerated forgets the old secret; the other finds a new ciphertext.
    expect(isSecretCached(a, accountId)).toBe(false);
    expect(await refusalOn(b, signedLimits(pair))).toBe(AuthErrorCode.UnknownApiKey);
    expect(await refusalOn(a, signedLimits(pair))).toBe(AuthErrorCode.UnknownApiKey);
    // A request signed with the old secret under the new key is not accepted from the stale entry.
    const forged = { ...signedLimits(pair), apiKey: renewed.apiKey };
    expect(await refusalOn(b, forged)).toBe(AuthErrorCode.SignatureMismatch);
    await expect(verifyOn(b, signedLimits(renewed))).resolves.toMatchObject({ accountId, apiKey: renewed.apiKey });
    pair = renewed;
  });

  it('refuses a revoked pair at once on every instance', async () => {
    await verifyOn(b, signedLimits(pair));
    await revokeCredentials(a, accountId);
    expect(isSecretCached(a, accountId)).toBe(false);
    expect(await refusalOn(b, signedLimits(pair))).toBe(AuthErrorCode.UnknownApiKey);
  });
});
