import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, createScratchPostgres, type ScratchDatabase } from '../../../test-support/databases.ts';
import type { DomainContext } from '../src/domain/context.ts';
import { KeyRing } from '../src/domain/keyring.ts';
import { DEFAULT_BILLING } from '../src/domain/billing/settings.ts';
import { deleteOlderThan, sweepAuditEvents, sweepReplayNonces, sweepSessions } from '../src/domain/sweeps.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { ManualClock, START_MS } from './support/test-context.ts';
import { TEST_PASSWORD_HASH_COST } from '../../../test-support/server-process.ts';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`batched sweeps on ${dialect}`, () => {
    let store: Store;
    let ctx: DomainContext;
    let clock: ManualClock;
    let dataDir: string;
    let scratch: ScratchDatabase | null = null;
    let accountId: number;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-sweeps-'));
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      store = openStore({ dataDir, databaseUrl: scratch?.url ?? '' });
      await migrateToLatest(store);
      clock = new ManualClock(START_MS);
      ctx = { store, clock, keyRing: new KeyRing(randomBytes(32)), siteUrl: 'https://premium.example.test', billing: DEFAULT_BILLING, passwordHashCost: TEST_PASSWORD_HASH_COST };
      const account = await store.db
        .insertInto('accounts')
        .values({ username: 'sweeper', email: 'sweeper@example.com', password_hash: 'x', created_at: START_MS })
        .returning('id')
        .executeTakeFirstOrThrow();
      accountId = Number(account.id);
    }, 60_000);
    afterAll(async () => {
      await store?.destroy();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('removes every expired replay record and none that can still stop a replay, in batches', async () => {
      const rows = (count: number, expiresAt: number, prefix: string) =>
        Array.from({ length: count }, (_, i) => ({ api_key: 'k', nonce: `${prefix}${i}`, signature: 's', expires_at: expiresAt }));
      await store.db.insertInto('replay_nonces').values(rows(25, START_MS - 1, 'old')).execute();
      await store.db.insertInto('replay_nonces').values(rows(5, START_MS, 'live')).execute();
      expect(await sweepReplayNonces(ctx, { batch: 7 })).toBe(25);
      const left = await store.db.selectFrom('replay_nonces').select('nonce').orderBy('nonce').execute();
      expect(left.map((r) => r.nonce)).toEqual(['live0', 'live1', 'live2', 'live3', 'live4']);
      expect(await sweepReplayNonces(ctx, { batch: 7 })).toBe(0);
    });

    it('removes rows of many ages and of one age, batch after batch, and keeps those of the boundary age', async () => {
      // Ages spread over the batches (each batch starts at the highest age the one before removed), and a run of equal ages across a batch's end.
      const spread = Array.from({ length: 20 }, (_, i) => ({ api_key: 'k', nonce: `age${i}`, signature: 's', expires_at: START_MS - 100 + i }));
      const tied = Array.from({ length: 10 }, (_, i) => ({ api_key: 'k', nonce: `tie${i}`, signature: 's', expires_at: START_MS - 90 }));
      const kept = { api_key: 'k', nonce: 'boundary', signature: 's', expires_at: START_MS };
      await store.db.insertInto('replay_nonces').values([...spread, ...tied, kept]).execute();
      expect(await deleteOlderThan(store, 'replay_nonces', START_MS, { batch: 4 })).toBe(30);
      const left = await store.db.selectFrom('replay_nonces').select('nonce').where('expires_at', '<=', START_MS).where('nonce', 'not like', 'live%').execute();
      expect(left.map((r) => r.nonce)).toEqual(['boundary']);
      await store.db.deleteFrom('replay_nonces').where('nonce', '=', 'boundary').execute();
    });

    it('lets other work run between two batches', async () => {
      await store.db
        .insertInto('replay_nonces')
        .values(Array.from({ length: 30 }, (_, i) => ({ api_key: 'k', nonce: `turn${i}`, signature: 's', expires_at: START_MS - 1 })))
        .execute();
      const order: string[] = [];
      // Scheduled before the sweep starts: it runs before the sweep ends only if the sweep yields between batches.
      setImmediate(() => order.push('other work'));
      await deleteOlderThan(store, 'replay_nonces', START_MS, { batch: 10 }).then(() => order.push('sweep done'));
      expect(order).toEqual(['other work', 'sweep done']);
    });

    it('removes expired website and console sessions only', async () => {
      const session = (token: string, expiresAt: number) => ({
        account_id: accountId,
        token_hash: token,
        csrf_token: 'c',
        created_at: START_MS - DAY,
        expires_at: expiresAt,
      });
      await store.db
        .insertInto('sessions')
        .values([session('gone1', START_MS - 1), session('gone2', START_MS - DAY), session('kept', START_MS + 1)])
        .execute();
      const operator = await store.db
        .insertInto('operators')
        .values({ username: 'op', email: 'op@example.com', role: 'admin', password_hash: 'x', created_at: START_MS })
        .returning('id')
        .executeTakeFirstOrThrow();
      await store.db
        .insertInto('operator_sessions')
        .values([
          { operator_id: Number(operator.id), token_hash: 'op-gone', csrf_token: 'c', stage: 'full', created_at: START_MS - DAY, expires_at: START_MS - 5 },
          { operator_id: Number(operator.id), token_hash: 'op-kept', csrf_token: 'c', stage: 'full', created_at: START_MS, expires_at: START_MS + DAY },
        ])
        .execute();
      expect(await sweepSessions(ctx, { batch: 1 })).toBe(3);
      expect((await store.db.selectFrom('sessions').select('token_hash').execute()).map((r) => r.token_hash)).toEqual(['kept']);
      expect((await store.db.selectFrom('operator_sessions').select('token_hash').execute()).map((r) => r.token_hash)).toEqual(['op-kept']);
    });

    it('keeps audit events for ever unless a retention is set, then removes the older ones', async () => {
      const event = (ageDays: number) => ({
        account_id: accountId,
        action: 'login.succeeded',
        detail: '{}',
        ip: null,
        created_at: START_MS - ageDays * DAY,
        operator: null,
      });
      await store.db.insertInto('audit_events').values([event(400), event(91), event(89), event(0)]).execute();
      expect(await sweepAuditEvents(ctx, null)).toBe(0);
      expect(await sweepAuditEvents(ctx, 90 * DAY, { batch: 1 })).toBe(2);
      const left = await store.db.selectFrom('audit_events').select('created_at').orderBy('created_at').execute();
      expect(left.map((r) => Number(r.created_at))).toEqual([START_MS - 89 * DAY, START_MS]);
    });
  });
}
