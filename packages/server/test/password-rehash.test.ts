import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatePassword, createAccount } from '../src/domain/accounts.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

const PASSWORD = 'correct horse battery';

describe('a login at another password hash cost', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const storedHash = async (username: string) =>
    (await t.ctx.store.db.selectFrom('accounts').select('password_hash').where('username', '=', username).executeTakeFirstOrThrow()).password_hash;

  it('still lets the account in and stores a hash at the current cost', async () => {
    await createAccount({ ...t.ctx, passwordHashCost: 10 }, { username: 'rehash1', email: 'rehash1@example.com', password: PASSWORD, verified: true });
    expect(await storedHash('rehash1')).toMatch(/^scrypt\$1024\$/);

    const raised = { ...t.ctx, passwordHashCost: 11 };
    expect(await authenticatePassword(raised, 'rehash1', PASSWORD)).toMatchObject({ username: 'rehash1' });
    expect(await storedHash('rehash1')).toMatch(/^scrypt\$2048\$/);
    // The new hash is of the same password.
    expect(await authenticatePassword(raised, 'rehash1', PASSWORD)).toMatchObject({ username: 'rehash1' });
    expect(await authenticatePassword(raised, 'rehash1', 'wrong horse battery')).toBeNull();
  });

  it('leaves the hash alone after a wrong password', async () => {
    await createAccount({ ...t.ctx, passwordHashCost: 10 }, { username: 'rehash2', email: 'rehash2@example.com', password: PASSWORD, verified: true });
    const before = await storedHash('rehash2');
    expect(await authenticatePassword({ ...t.ctx, passwordHashCost: 11 }, 'rehash2', 'wrong horse battery')).toBeNull();
    expect(await storedHash('rehash2')).toBe(before);
  });
});
