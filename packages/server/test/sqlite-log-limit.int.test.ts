import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_LOG_SIZE_LIMIT_BYTES, openStore, sqliteFile, type Store } from '../src/store/database.ts';

describe('the SQLite write-ahead log after a burst of writes', () => {
  let dataDir = '';
  let store: Store | null = null;
  afterEach(async () => {
    await store?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is cut back to its limit once a checkpoint has emptied it, instead of keeping the burst size for good', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-wal-'));
    store = openStore({ dataDir, databaseUrl: '' });
    const file = sqliteFile({ dataDir, databaseUrl: '' });
    if (file === null) throw new Error('no SQLite file');
    const logSize = () => statSync(`${file}-wal`).size;
    const burstMiB = SQLITE_LOG_SIZE_LIMIT_BYTES / 2 ** 20 + 16;

    await sql`create table burst (b blob)`.execute(store.db);
    // One transaction larger than the limit: the log must hold all of it until it commits.
    await sql`insert into burst
      select zeroblob(1048576) from (with recursive s(i) as (select 1 union all select i + 1 from s where i < ${burstMiB}) select i from s)`.execute(
      store.db,
    );
    expect(logSize()).toBeGreaterThan(SQLITE_LOG_SIZE_LIMIT_BYTES);

    // The commit's automatic checkpoint copied the log into the database; the next write starts the log
    // again from its beginning, and that is when the file is cut.
    await sql`insert into burst values (x'00')`.execute(store.db);
    expect(logSize()).toBeLessThanOrEqual(SQLITE_LOG_SIZE_LIMIT_BYTES);
    const rows = await sql<{ n: number }>`select count(*) as n from burst`.execute(store.db);
    expect(rows.rows[0]?.n).toBe(burstMiB + 1);
  }, 60_000);
});
