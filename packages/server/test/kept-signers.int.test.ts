import { messages } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { expectError } from './support/assertions.ts';
import { call, prepare, send, ENDPOINTS } from './support/rotki-app.ts';

/**
 * A signed request may start from its key's row as an earlier request read it
 * (PostgreSQL: the replay commit reads the row again and the request is
 * judged on that; SQLite: the row is kept while no connection committed).
 * Either way, a change committed anywhere before a request is what that
 * request is answered on, in both directions: a suspension, an ended
 * subscription or a removed key refuse the very next request on a server
 * that served the key a moment before, and lifting them serves it again at once.
 */
for (const dialect of DIALECTS) {
  describe(`a change to a key's owner is seen by the very next signed request (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let operator: ServerContext;
    let who: Subscriber;
    let accountId = 0;

    const limits = () => call(server.url, who, ENDPOINTS.limits);
    /** Several requests at once, so they share reads and commits as under load. */
    const burst = async () => (await Promise.all(Array.from({ length: 8 }, () => limits()))).map((r) => r.status);

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl });
      // Another process writing to the same database: an operator's command or a second instance.
      operator = await openServerContext(server);
      who = await operator.createSubscriber('Basic');
      const account = await operator.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', who.username).executeTakeFirstOrThrow();
      accountId = Number(account.id);
    });
    afterAll(async () => {
      await operator?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    it('refuses a suspended account at once and serves it again as soon as the suspension is lifted', async () => {
      expect(await burst()).toEqual(Array(8).fill(200));
      await operator.ctx.store.db.updateTable('accounts').set({ suspended_at: Date.now() }).where('id', '=', accountId).execute();
      expectError(await limits(), 403, messages.accountSuspended());
      expect(new Set(await burst())).toEqual(new Set([403]));
      await operator.ctx.store.db.updateTable('accounts').set({ suspended_at: null }).where('id', '=', accountId).execute();
      expect((await limits()).status).toBe(200);
    });

    it('refuses a subscription that ended at once, and serves a renewed one at once', async () => {
      expect(await burst()).toEqual(Array(8).fill(200));
      const ended = Date.now() - 1000;
      await operator.ctx.store.db.updateTable('subscriptions').set({ period_end: ended }).where('account_id', '=', accountId).execute();
      expectError(await limits(), 403, messages.subscriptionInactive(new Date(ended)));
      await operator.ctx.store.db
        .updateTable('subscriptions')
        .set({ period_end: Date.now() + 30 * 86_400_000 })
        .where('account_id', '=', accountId)
        .execute();
      expect(await burst()).toEqual(Array(8).fill(200));
    });

    it('still refuses a replayed request', async () => {
      const request = prepare(who, ENDPOINTS.limits);
      expect((await send(server.url, request)).status).toBe(200);
      expectError(await send(server.url, request), 403, messages.replayed());
    });

    it('refuses a removed key at once', async () => {
      expect(await burst()).toEqual(Array(8).fill(200));
      await operator.ctx.store.db.deleteFrom('api_credentials').where('account_id', '=', accountId).execute();
      expectError(await limits(), 403, messages.unknownApiKey());
      expect(new Set(await burst())).toEqual(new Set([403]));
    });
  });
}
