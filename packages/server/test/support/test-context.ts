import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, type Account } from '../../src/domain/accounts.ts';
import type { Clock } from '../../src/domain/clock.ts';
import type { DomainContext } from '../../src/domain/context.ts';
import { KeyRing } from '../../src/domain/keyring.ts';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { seedDefaultPrices } from '../../src/domain/billing/prices.ts';
import { DEFAULT_BILLING, type BillingSettings } from '../../src/domain/billing/settings.ts';
import { TEST_PASSWORD_HASH_COST } from '../../../../test-support/server-process.ts';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(startMs: number) {
    this.#ms = startMs;
  }

  now(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  set(ms: number): void {
    this.#ms = ms;
  }
}

/**
 * Password hashing is deliberately slow (scrypt, N=2^17 in production; the
 * test contexts hash at TEST_PASSWORD_HASH_COST); tests that create accounts
 * or hash passwords at the production cost allow for a loaded machine.
 */
export const SCRYPT_TIMEOUT_MS = 30_000;

/** 2025-01-31T12:00:00Z: a month end, so month arithmetic has to clamp. */
export const START_MS = Date.UTC(2025, 0, 31, 12, 0, 0);

export interface TestContext {
  ctx: DomainContext;
  clock: ManualClock;
  cleanup(): Promise<void>;
}

/** The domain over a fresh SQLite file with a manual clock and a random master key. */
export async function createTestContext(startMs = START_MS, billing: BillingSettings = DEFAULT_BILLING): Promise<TestContext> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-unit-'));
  const store = openStore({ dataDir });
  await migrateToLatest(store);
  await seedDefaultPrices(store.db, billing.currency);
  const clock = new ManualClock(startMs);
  const ctx: DomainContext = { store, clock, keyRing: new KeyRing(randomBytes(32)), siteUrl: 'https://premium.example.test', billing, passwordHashCost: TEST_PASSWORD_HASH_COST };
  return {
    ctx,
    clock,
    async cleanup() {
      await store.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A new account with a unique name. */
export function newAccount(ctx: DomainContext): Promise<Account> {
  counter += 1;
  const username = `unit${counter}`;
  return createAccount(ctx, { username, email: `${username}@example.com`, password: 'correct horse battery', verified: true });
}
