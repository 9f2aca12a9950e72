import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EvmChain } from '../../billing/settings.ts';
import type { DomainContext } from '../../context.ts';
import { acquireLease, releaseLease } from '../../leases.ts';
import type { ChainReader, ChainTransfer } from './chain-reader.ts';
import { matchQuote } from './quotes.ts';
import { settleTransfer } from './settle.ts';

/**
 * Watches each configured chain for payments. One instance at a time scans a
 * chain (a lease per chain); every step is safe to repeat, so a crash or a
 * second instance changes nothing:
 *
 * - blocks up to `head − confirmations` are final: their transfers are settled
 *   (applied once by their key), then the cursor moves past them — a crash in
 *   between settles them again, which finds them applied;
 * - newer blocks are only looked at: a transfer there is a "sighting" the
 *   buyer sees with its confirmations, dropped if its block leaves the chain
 *   (a reorganisation), and credited only when the confirmed scan reaches it.
 */

/** Blocks read per step while catching up. */
export const SCAN_BATCH = 500n;
/** Unconfirmed blocks looked at for sightings (the newest ones). */
const SIGHTING_WINDOW = 64n;

export interface ScanResult {
  head: bigint;
  scannedTo: bigint;
  settled: number;
}

async function cursorOf(ctx: DomainContext, chain: EvmChain, confirmedTip: bigint): Promise<bigint> {
  const row = await ctx.store.db.selectFrom('chain_cursors').select('scanned_to').where('chain_id', '=', chain.chainId).executeTakeFirst();
  if (row !== undefined) return BigInt(row.scanned_to);
  // First scan: from the oldest quote's block, or nothing to look back for.
  const oldest = await ctx.store.db
    .selectFrom('crypto_quotes')
    .select((eb) => eb.fn.min('from_block').as('from_block'))
    .where('chain_id', '=', chain.chainId)
    .executeTakeFirst();
  const start = oldest?.from_block === null || oldest?.from_block === undefined ? confirmedTip : BigInt(oldest.from_block);
  return start < confirmedTip ? start : confirmedTip;
}

/** Moves the cursor forward (never back: another instance may be ahead) and notes the head. */
async function moveCursor(ctx: DomainContext, chainId: number, to: bigint, head: bigint): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db
    .insertInto('chain_cursors')
    .values({ chain_id: chainId, scanned_to: Number(to), head: Number(head), updated_at: now })
    .onConflict((oc) =>
      oc.column('chain_id').doUpdateSet((eb) => ({
        scanned_to: eb.case().when('chain_cursors.scanned_to', '<', Number(to)).then(Number(to)).else(eb.ref('chain_cursors.scanned_to')).end(),
        head: Number(head),
        updated_at: now,
      })),
    )
    .execute();
}

/** Records a transfer in a block not yet confirmed, if it pays a quote. */
export async function recordSighting(ctx: DomainContext, transfer: ChainTransfer): Promise<boolean> {
  const match = await matchQuote(ctx.store.db, transfer.chainId, transfer.token, transfer.amount);
  if (match === null) return false;
  await ctx.store.db
    .insertInto('crypto_sightings')
    .values({
      chain_id: transfer.chainId,
      tx_hash: transfer.txHash,
      log_index: transfer.logIndex,
      quote_id: match.quote.id,
      amount: transfer.amount.toString(),
      block_number: Number(transfer.blockNumber),
      block_hash: transfer.blockHash,
      seen_at: ctx.clock.now(),
    })
    .onConflict((oc) =>
      oc.columns(['chain_id', 'tx_hash', 'log_index']).doUpdateSet({ block_number: Number(transfer.blockNumber), block_hash: transfer.blockHash }),
    )
    .execute();
  return true;
}

/** Drops sightings the confirmed scan has passed, and those whose block is no longer on the chain. */
async function pruneSightings(ctx: DomainContext, reader: ChainReader, scannedTo: bigint): Promise<void> {
  const { chainId } = reader.chain;
  await ctx.store.db.deleteFrom('crypto_sightings').where('chain_id', '=', chainId).where('block_number', '<=', Number(scannedTo)).execute();
  const open = await ctx.store.db.selectFrom('crypto_sightings').select(['tx_hash', 'log_index', 'block_number', 'block_hash']).where('chain_id', '=', chainId).execute();
  for (const row of open) {
    const canonical = await reader.blockHash(BigInt(row.block_number));
    if (canonical === row.block_hash) continue;
    await ctx.store.db
      .deleteFrom('crypto_sightings')
      .where('chain_id', '=', chainId)
      .where('tx_hash', '=', row.tx_hash)
      .where('log_index', '=', row.log_index)
      .execute();
  }
}

/** One step of one chain: settle what became final, then note what is still unconfirmed. */
export async function scanChain(ctx: DomainContext, reader: ChainReader): Promise<ScanResult> {
  const { chain } = reader;
  const head = await reader.head();
  const confirmedTip = head - BigInt(chain.confirmations);
  let cursor = await cursorOf(ctx, chain, confirmedTip);
  let settled = 0;
  if (confirmedTip > cursor) {
    const to = cursor + SCAN_BATCH < confirmedTip ? cursor + SCAN_BATCH : confirmedTip;
    for (const transfer of await reader.transfersIn(cursor + 1n, to)) {
      await settleTransfer(ctx, chain, transfer, () => reader.blockTime(transfer.blockNumber));
      settled += 1;
    }
    cursor = to;
  }
  await moveCursor(ctx, chain.chainId, cursor, head);
  if (cursor >= confirmedTip && head > cursor) {
    const from = head - cursor > SIGHTING_WINDOW ? head - SIGHTING_WINDOW + 1n : cursor + 1n;
    for (const transfer of await reader.transfersIn(from, head)) await recordSighting(ctx, transfer);
  }
  await pruneSightings(ctx, reader, cursor);
  return { head, scannedTo: cursor, settled };
}

export interface ChainWatcher {
  readers: Map<number, ChainReader>;
  /** Scans every chain now (after a quote or a pasted transaction), without waiting for the next tick. */
  kick(): void;
  stop(): Promise<void>;
}

export interface ChainWatcherOptions {
  intervalMs: number;
  log?: Pick<Logger, 'warn' | 'info'>;
  holder?: string;
  /** A reader per chain (viem-reader.ts `openChainReaders`). */
  readers: Map<number, ChainReader>;
}

/** Scans each chain every `intervalMs` on the instance holding that chain's lease. */
export function startChainWatcher(ctx: DomainContext, options: ChainWatcherOptions): ChainWatcher {
  const holder = options.holder ?? `instance-${randomBytes(8).toString('hex')}`;
  const { readers } = options;
  const leaseMs = Math.max(60_000, options.intervalMs * 4);
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function scanAll(): Promise<void> {
    for (const reader of readers.values()) {
      const lease = `chain-watch:${reader.chain.chainId}`;
      try {
        if (!(await acquireLease(ctx.store.db, lease, holder, ctx.clock.now(), leaseMs))) continue;
        // Catch up in batches while this instance holds the lease.
        for (let step = 0; step < 20 && !stopped; step += 1) {
          const result = await scanChain(ctx, reader);
          if (result.scannedTo >= result.head - BigInt(reader.chain.confirmations)) break;
          await acquireLease(ctx.store.db, lease, holder, ctx.clock.now(), leaseMs);
        }
      } catch (error) {
        options.log?.warn({ err: error, chainId: reader.chain.chainId }, 'chain scan failed');
      }
    }
  }

  const tick = () => {
    if (stopped) return;
    if (running !== null) {
      again = true;
      return;
    }
    running = scanAll().finally(() => {
      running = null;
      if (again && !stopped) {
        again = false;
        tick();
      }
    });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  if (readers.size > 0) tick();
  return {
    readers,
    kick: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      for (const reader of readers.values()) {
        await releaseLease(ctx.store.db, `chain-watch:${reader.chain.chainId}`, holder).catch(() => undefined);
      }
    },
  };
}
