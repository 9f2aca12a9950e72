import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { UnchangedRows } from '../src/store/unchanged-rows.ts';

describe('UnchangedRows', () => {
  it('serves a row only at the version it was read at, and keeps at most its limit', () => {
    const rows = new UnchangedRows<string>(2);
    expect(rows.get('a', 1)).toBeUndefined();
    rows.set('a', 'row a');
    rows.set('b', 'row b');
    rows.set('c', 'row c');
    expect([rows.get('a', 1), rows.get('b', 1), rows.get('c', 1)]).toEqual(['row a', 'row b', undefined]);
    expect(rows.get('a', 2)).toBeUndefined();
    expect(rows.size).toBe(0);
  });
});

describe('the signed path on SQLite reads a change committed anywhere at once', () => {
  let dataDir: string;
  let server: Store;
  let other: Store;
  let apiKey = '';
  const signer = async () => (await server.hot.signerRow(apiKey)) ?? null;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-unchanged-'));
    server = openStore({ dataDir, databaseUrl: '' });
    await migrateToLatest(server);
    // A second store on the same file: another process (an admin command, a second instance).
    other = openStore({ dataDir, databaseUrl: '' });
    const account = await server.db
      .insertInto('accounts')
      .values({ username: 'alice', email: 'alice@example.org', password_hash: 'x', created_at: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    apiKey = 'a'.repeat(40);
    await server.db.insertInto('api_credentials').values({ account_id: account.id, api_key: apiKey, secret_ciphertext: 'first', created_at: 1 }).execute();
  });
  afterAll(async () => {
    await server.destroy();
    await other.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same row while only replay records are committed', async () => {
    expect(await signer()).toMatchObject({ secret_ciphertext: 'first', suspended_at: null });
    expect(await server.hot.insertReplayRows([{ api_key: apiKey, nonce: '1', signature: 's', expires_at: Date.now() + 60_000 }])).toEqual([{ inserted: true }]);
    expect(await signer()).toMatchObject({ secret_ciphertext: 'first' });
  });

  it('sees a change committed on the server’s main connection', async () => {
    await signer();
    await server.db.updateTable('api_credentials').set({ secret_ciphertext: 'regenerated' }).where('api_key', '=', apiKey).execute();
    expect(await signer()).toMatchObject({ secret_ciphertext: 'regenerated' });
  });

  it('sees a change committed by another process, and a key removed there is gone', async () => {
    await signer();
    await other.db.updateTable('accounts').set({ suspended_at: 5 }).execute();
    expect(await signer()).toMatchObject({ suspended_at: 5 });
    await other.db.deleteFrom('api_credentials').execute();
    expect(await signer()).toBeNull();
  });
});
