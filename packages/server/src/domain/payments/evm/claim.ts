import type { DomainContext } from '../../context.ts';
import { invalid } from '../../errors.ts';
import type { Order } from '../orders.ts';
import type { ChainReader } from './chain-reader.ts';
import { latestQuote, matchQuote } from './quotes.ts';
import { settleTransfer } from './settle.ts';
import { recordSighting } from './watcher.ts';

/**
 * The buyer pasted a transaction hash to speed things up. The transaction is
 * read from the operator's node and handled exactly as the watcher would:
 * confirmed transfers are settled (by their amount, never by who pasted the
 * hash, so nobody can claim another's payment), newer ones are sightings.
 */

export type TxCheck =
  | { status: 'credited' }
  | { status: 'pending'; confirmations: number; required: number }
  | { status: 'not_found' }
  | { status: 'not_this_order' }
  | { status: 'held' };

export async function checkTransaction(ctx: DomainContext, reader: ChainReader, order: Order, txHash: `0x${string}`): Promise<TxCheck> {
  if (order.method !== 'crypto') throw invalid('This order is not paid in crypto.');
  const transfers = await reader.transfersInTx(txHash);
  if (transfers === null) return { status: 'not_found' };
  const quote = await latestQuote(ctx.store.db, order.id);
  const ours = [];
  for (const transfer of transfers) {
    const match = await matchQuote(ctx.store.db, transfer.chainId, transfer.token, transfer.amount);
    if (match !== null && match.quote.orderId === order.id) ours.push(transfer);
  }
  if (ours.length === 0 || quote === null) return { status: 'not_this_order' };
  const head = await reader.head();
  const required = reader.chain.confirmations;
  let outcome: TxCheck | null = null;
  for (const transfer of ours) {
    const confirmations = Number(head - transfer.blockNumber);
    const canonical = await reader.blockHash(transfer.blockNumber);
    if (canonical !== transfer.blockHash) return { status: 'not_found' };
    if (confirmations < required) {
      await recordSighting(ctx, transfer);
      outcome ??= { status: 'pending', confirmations, required };
      continue;
    }
    const settled = await settleTransfer(ctx, reader.chain, transfer, () => reader.blockTime(transfer.blockNumber));
    if (settled.status === 'credited' || settled.status === 'duplicate') outcome = { status: 'credited' };
    else outcome ??= { status: 'held' };
  }
  return outcome ?? { status: 'not_this_order' };
}
