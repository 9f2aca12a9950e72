import type { DomainContext } from './context.ts';

/**
 * Records an accepted (API key, nonce, signature) triple. Returns false when
 * it was already recorded: a replay. The primary key makes the decision, so it
 * holds across connections and server instances sharing the database.
 */
export async function acceptOnce(
  ctx: DomainContext,
  apiKey: string,
  nonce: string,
  signature: string,
  windowMs: number,
): Promise<boolean> {
  const inserted = await ctx.store.replayDb
    .insertInto('replay_nonces')
    .values({ api_key: apiKey, nonce, signature, expires_at: ctx.clock.now() + 2 * windowMs })
    .onConflict((c) => c.columns(['api_key', 'nonce', 'signature']).doNothing())
    .returning('nonce')
    .executeTakeFirst();
  return inserted !== undefined;
}
