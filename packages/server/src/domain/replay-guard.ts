import type { SignerRow } from '../store/hot-statements.ts';
import type { ReplayCommit, ReplayVerdict } from '../store/replay-batch.ts';
import type { DomainContext } from './context.ts';

export type { ReplayCommit };

/**
 * Records an accepted (API key, nonce, signature) triple; `inserted` is false
 * when it was already recorded: a replay. The primary key makes the decision,
 * so it holds across connections and server instances sharing the database;
 * records are group-committed, and this returns only once the record is
 * committed (`store/replay-batch.ts` says why no replay gets through
 * meanwhile). On PostgreSQL, `current` is the key's signer row as the commit
 * read it (null: the key is gone).
 */
export function acceptOnce(
  ctx: DomainContext,
  apiKey: string,
  nonce: string,
  signature: string,
  windowMs: number,
  commit: ReplayCommit = 'batched',
): Promise<ReplayVerdict<SignerRow | null>> {
  return ctx.store.replays.decide({ api_key: apiKey, nonce, signature, expires_at: ctx.clock.now() + 2 * windowMs }, commit);
}
