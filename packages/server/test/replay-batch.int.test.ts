import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, createScratchPostgres, type ScratchDatabase } from '../../../test-support/databases.ts';
import { openStore, type Store, type StoreOptions } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { ReplayBatcher } from '../src/store/replay-batch.ts';
import type { ReplayNonceTable } from '../src/store/schema.ts';

let counter = 0;
/** A replay record no other test uses. */
function freshRow(): ReplayNonceTable {
  counter += 1;
  return { api_key: `key-${process.pid}`, nonce: String(1_000_000 + counter), signature: `sig-${counter}`, expires_at: Date.now() + 600_000 };
}

/** Settles to 'pending' when `promise` has not settled by the time the event loop has turned once. */
async function stateOf(promise: Promise<boolean>): Promise<boolean | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

for (const dialect of DIALECTS) {
  describe(`replay records, group-committed, on ${dialect}`, () => {
    let dataDir: string;
    let scratch: ScratchDatabase | null = null;
    let options: StoreOptions;
    const open: Store[] = [];
    const openAnother = (extra: Partial<StoreOptions> = {}) => {
      const store = openStore({ ...options, ...extra });
      open.push(store);
      return store;
    };
    const recorded = async (store: Store, row: ReplayNonceTable) =>
      (await store.db.selectFrom('replay_nonces').select('nonce').where('api_key', '=', row.api_key).where('nonce', '=', row.nonce).execute()).length;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-replays-'));
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      options = { dataDir, databaseUrl: scratch?.url ?? '' };
      const first = openAnother();
      await migrateToLatest(first);
    }, 60_000);
    afterAll(async () => {
      for (const store of open) await store.destroy().catch(() => undefined);
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses a replay that arrives while the first copy waits for its commit', async () => {
      // A long delay makes the window between acceptance and commit wide open.
      const store = openAnother({ replayBatchDelayMs: 300 });
      const row = freshRow();
      const first = store.replays.accept(row);
      const replay = store.replays.accept({ ...row });
      expect(await stateOf(replay)).toBe(false);
      expect(await stateOf(first)).toBe('pending');
      expect(await recorded(store, row)).toBe(0);
      expect(await first).toBe(true);
      expect(await recorded(store, row)).toBe(1);
      expect(store.replays.pendingCount).toBe(0);
      // Committed: the primary key refuses it now.
      expect(await store.replays.accept({ ...row })).toBe(false);
    });

    it('commits many requests in one batch and tells each whether it was new', async () => {
      const store = openAnother({ replayBatchDelayMs: 20 });
      const old = freshRow();
      expect(await store.replays.accept(old)).toBe(true);
      const rows = Array.from({ length: 700 }, freshRow);
      const results = await Promise.all([...rows, old].map((row) => store.replays.accept(row)));
      expect(results.slice(0, 700).every((r) => r)).toBe(true);
      expect(results[700]).toBe(false);
      expect(await Promise.all(rows.map((row) => store.replays.accept(row)))).toEqual(rows.map(() => false));
    });

    it('still refuses the replay after a restart: closing commits what waits, and the rows outlive the process', async () => {
      const before = openAnother({ replayBatchDelayMs: 10_000 });
      const row = freshRow();
      const accepted = before.replays.accept(row);
      // Stopping the server commits the waiting batch before it closes the database.
      await before.destroy();
      expect(await accepted).toBe(true);
      const after = openAnother();
      expect(await after.replays.accept({ ...row })).toBe(false);
      await expect(before.replays.accept(freshRow())).rejects.toThrow(/closed/);
    });

    it('lets exactly one of two instances accept the same request', async () => {
      const a = openAnother({ replayBatchDelayMs: 5 });
      const b = openAnother({ replayBatchDelayMs: 5 });
      for (let i = 0; i < 20; i += 1) {
        const row = freshRow();
        const results = await Promise.all([a.replays.accept(row), b.replays.accept({ ...row })]);
        expect(results.filter((r) => r)).toHaveLength(1);
      }
    });
  });
}

describe('ReplayBatcher', () => {
  it('refuses the whole batch when its commit fails, and accepts the rows again afterwards', async () => {
    let fail = true;
    const batcher = new ReplayBatcher(
      async (rows) => {
        if (fail) throw new Error('disk full');
        return rows.map(() => ({ inserted: true }));
      },
      { delayMs: 1, maxRows: 10 },
    );
    const row = freshRow();
    await expect(batcher.accept(row)).rejects.toThrow('disk full');
    expect(batcher.pendingCount).toBe(0);
    fail = false;
    expect(await batcher.accept(row)).toBe(true);
    await batcher.close();
  });

  it('commits a full batch at once, then what arrived meanwhile, and a lone row on its timer', async () => {
    const batches: number[] = [];
    const batcher = new ReplayBatcher(
      async (rows) => {
        batches.push(rows.length);
        return rows.map(() => ({ inserted: true }));
      },
      { delayMs: 60_000, maxRows: 3 },
    );
    // Without a full batch nothing would be written for a minute: the full one goes at once,
    // and the rows that arrived during its commit go as soon as it ends.
    expect(await Promise.all(Array.from({ length: 7 }, () => batcher.accept(freshRow())))).toEqual(Array(7).fill(true));
    expect(batches).toEqual([3, 3, 1]);
    const lone = batcher.accept(freshRow());
    expect(await stateOf(lone)).toBe('pending');
    await batcher.close();
    expect(await lone).toBe(true);
    expect(batches).toEqual([3, 3, 1, 1]);
  });

  it("commits a row asked for 'now' at once, with the rows waiting for the timer", async () => {
    const batches: number[] = [];
    const batcher = new ReplayBatcher(
      async (rows) => {
        batches.push(rows.length);
        return rows.map(() => ({ inserted: true }));
      },
      { delayMs: 60_000, maxRows: 10 },
    );
    const waiting = batcher.accept(freshRow());
    expect(await stateOf(waiting)).toBe('pending');
    const urgent = batcher.accept(freshRow(), 'now');
    expect(await Promise.all([urgent, waiting])).toEqual([true, true]);
    expect(batches).toEqual([2]);
    // A replay of it is still refused, by the pending set and then by the record.
    const row = freshRow();
    expect(await Promise.all([batcher.accept(row, 'now'), batcher.accept({ ...row }, 'now')])).toEqual([true, false]);
    await batcher.close();
  });
});
