import { formatMoney } from '../../billing/money.ts';
import type { EvmChain } from '../../billing/settings.ts';
import type { DomainContext } from '../../context.ts';
import { applyPayment, type PaymentOutcome, type PaymentReceived } from '../apply.ts';
import { findOrder } from '../orders.ts';
import { formatTokenAmount, valueInMinor } from './amounts.ts';
import { NATIVE_LOG_INDEX, tokenOf, type ChainTransfer } from './chain-reader.ts';
import { matchQuote, type QuoteMatch } from './quotes.ts';

/**
 * Turns a confirmed transfer to a receiving address into "payment received":
 * the quote it pays decides the order; exact amounts are credited, more than
 * asked is credited with a note, less is kept for the operator, and so is a
 * late payment in a token whose rate moved against it. A transfer that pays
 * no quote is kept for the operator too — never lost. Applied once per
 * (chain, transaction, log index), whoever reports it and however often.
 */

export type SettleOutcome = PaymentOutcome | { status: 'unmatched'; paymentId: number | null };

/** The payment's unique key: "chainId:txHash:logIndex", or "chainId:txHash:native". */
export function paymentKey(transfer: Pick<ChainTransfer, 'chainId' | 'txHash' | 'logIndex'>): string {
  const index = transfer.logIndex === NATIVE_LOG_INDEX ? 'native' : String(transfer.logIndex);
  return `${transfer.chainId}:${transfer.txHash.toLowerCase()}:${index}`;
}

function describeTransfer(chain: EvmChain, transfer: ChainTransfer, symbol: string, decimals: number) {
  return {
    chain_id: chain.chainId,
    chain: chain.name,
    tx_hash: transfer.txHash,
    log_index: transfer.logIndex,
    block: transfer.blockNumber.toString(),
    token: transfer.token,
    from: transfer.from,
    amount: transfer.amount.toString(),
    amount_text: formatTokenAmount(transfer.amount, decimals, symbol),
  };
}

/** Money that pays no quote: a flagged payment without an account, for the operator. */
async function keepUnmatched(ctx: DomainContext, chain: EvmChain, transfer: ChainTransfer): Promise<SettleOutcome> {
  const token = tokenOf(chain, transfer.token);
  if (token === null) return { status: 'unmatched', paymentId: null };
  const now = ctx.clock.now();
  const row = await ctx.store.db
    .insertInto('payments')
    .values({
      account_id: null,
      order_id: null,
      provider: 'evm',
      provider_payment_id: paymentKey(transfer),
      currency: ctx.billing.currency,
      amount_minor: valueInMinor(transfer.amount, token, ctx.billing.currency),
      status: 'flagged',
      flag_reason: `no quote asks for ${formatTokenAmount(transfer.amount, token.decimals, token.symbol)}`,
      detail: JSON.stringify({ ...describeTransfer(chain, transfer, token.symbol, token.decimals), method: `${token.symbol} on ${chain.name}`, reference: transfer.txHash }),
      period_start: null,
      period_end: null,
      created_at: now,
      resolved_at: null,
    })
    .onConflict((oc) => oc.columns(['provider', 'provider_payment_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return { status: 'unmatched', paymentId: row === undefined ? null : Number(row.id) };
}

/** What the payment is worth, and whether to credit it, hold it or note something. */
function judge(ctx: DomainContext, chain: EvmChain, match: QuoteMatch, transfer: ChainTransfer, totalMinor: number, blockTime: number) {
  const { quote } = match;
  const token = tokenOf(chain, quote.token);
  const symbol = quote.symbol;
  const asked = formatTokenAmount(quote.amount, quote.decimals, symbol);
  const sent = formatTokenAmount(transfer.amount, quote.decimals, symbol);
  if (match.fit === 'under') {
    const value = token === null ? 0 : valueInMinor(transfer.amount, token, ctx.billing.currency);
    return { amountMinor: value, flag: `underpaid: ${sent} of ${asked}`, note: null };
  }
  const late = blockTime > quote.expiresAt;
  const over = match.fit === 'over' ? `overpaid: ${sent} for ${asked}` : null;
  if (!late) return { amountMinor: totalMinor, flag: null, note: over };
  const lateBy = `paid ${Math.ceil((blockTime - quote.expiresAt) / 60_000)} min after the quote expired`;
  // A stablecoin is worth the same later; another token is valued at today's rate.
  const value = token === null ? 0 : valueInMinor(transfer.amount, token, ctx.billing.currency);
  if (token === null || (token.price.kind !== 'stable' && value < totalMinor)) {
    return {
      amountMinor: value,
      flag: `${lateBy}, worth ${formatMoney(value, ctx.billing.currency)} at today's rate of the ${formatMoney(totalMinor, ctx.billing.currency)} asked`,
      note: null,
    };
  }
  return { amountMinor: totalMinor, flag: null, note: over === null ? lateBy : `${lateBy}; ${over}` };
}

/** Applies a transfer whose block is confirmed (the caller checked). */
export async function settleTransfer(
  ctx: DomainContext,
  chain: EvmChain,
  transfer: ChainTransfer,
  blockTime: () => Promise<number>,
): Promise<SettleOutcome> {
  const match = await matchQuote(ctx.store.db, chain.chainId, transfer.token, transfer.amount);
  if (match === null) return keepUnmatched(ctx, chain, transfer);
  const order = await findOrder(ctx.store.db, match.quote.orderId);
  if (order === null) return keepUnmatched(ctx, chain, transfer);
  const verdict = judge(ctx, chain, match, transfer, order.breakdown.totalMinor, await blockTime());
  const event: PaymentReceived = {
    provider: 'evm',
    paymentKey: paymentKey(transfer),
    accountId: order.accountId,
    orderId: order.id,
    amountMinor: verdict.amountMinor,
    methodLabel: `${match.quote.symbol} on ${chain.name}`,
    reference: transfer.txHash,
    detail: { ...describeTransfer(chain, transfer, match.quote.symbol, match.quote.decimals), quote: match.quote.id },
    flag: verdict.flag,
    note: verdict.note,
  };
  return applyPayment(ctx, event);
}
