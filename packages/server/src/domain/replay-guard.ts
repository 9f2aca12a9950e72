import type { ReplayCommit } from '../store/replay-batch.ts';

export type { ReplayCommit };
import type { DomainContext } from './context.ts';

/**
 * Records an accepted (API key, nonce, signature) triple. Returns false when
 * it was already recorded: a replay. The primary key makes the decision, so it
 * holds across connections and server instances sharing the database; records
 * are group-committed, and this returns only once the record is committed
 * (`store/replay-batch.ts` says why no replay gets through meanwhile).
 */
export function acceptOnce(
  ctx: DomainContext,
  apiKey: string,
  nonce: string,
  signature: string,
  windowMs: number,
  commit: ReplayCommit = 'batched',
): Promise<boolean> {
  return ctx.store.replays.accept({ api_key: apiKey, nonce, signature, expires_at: ctx.clock.now() + 2 * windowMs }, commit);
}
