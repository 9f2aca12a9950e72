import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, createScratchPostgres, type ScratchDatabase } from '../../../test-support/databases.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { migrateTo, migrateToLatest } from '../src/store/migrate.ts';

for (const dialect of DIALECTS) {
  describe(`migration 021 (replay records keyed nonce first) on ${dialect}`, () => {
    let dataDir = '';
    let scratch: ScratchDatabase | null = null;
    let store: Store | null = null;
    afterEach(async () => {
      await store?.destroy();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps every replay record, so a request accepted before the upgrade is still refused after it', async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-replay-order-'));
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      store = openStore({ dataDir, databaseUrl: scratch?.url ?? '' });
      await migrateTo(store, '020-tiers-version');
      const before = Array.from({ length: 50 }, (_, i) => ({
        api_key: `key-${i % 7}`,
        nonce: String(1_780_000_000_000 + i),
        signature: `signature-${i}`,
        expires_at: Date.now() + 600_000,
      }));
      await store.db.insertInto('replay_nonces').values(before).execute();

      expect(await migrateToLatest(store)).toEqual(['021-replay-key-order']);

      const after = await store.db.selectFrom('replay_nonces').selectAll().orderBy('nonce').execute();
      expect(after.map((row) => ({ ...row, expires_at: Number(row.expires_at) }))).toEqual(before);
      // The same triple is refused; the same nonce with another signature is a new record, as before.
      const [replay, other] = await store.hot.insertReplayRows([before[3]!, { ...before[3]!, signature: 'another' }]);
      expect(replay?.inserted).toBe(false);
      expect(other?.inserted).toBe(true);
      // The sweep's index is back.
      const indexes =
        dialect === 'postgres'
          ? (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'replay_nonces'`.execute(store.db)).rows
          : (await sql<{ name: string }>`select name from pragma_index_list('replay_nonces')`.execute(store.db)).rows;
      expect(indexes.map((i) => i.name)).toContain('replay_nonces_expiry_idx');
    }, 60_000);
  });
}
