import type { Kysely } from 'kysely';
import type { CryptoQuoteRow } from '../../../store/crypto.table.ts';
import type { Database } from '../../../store/schema.ts';
import type { EvmChain, EvmToken } from '../../billing/settings.ts';
import type { DomainContext } from '../../context.ts';
import { conflict, invalid } from '../../errors.ts';
import type { Order } from '../orders.ts';
import { baseUnitsFor, quotedAmount, randomTail, tailModulus, tokenKey } from './amounts.ts';

/**
 * Quotes: the exact amount of one token on one chain that pays an order,
 * valid for the billing settings' quote validity (30 minutes). The amount's
 * tail (amount mod modulus) is held by the quote for a week past its expiry,
 * so that no two quotes of that time share it and a transfer whose amount is
 * off still names its quote.
 */

/** How long after its expiry a quote keeps its tail to itself. */
export const TAIL_HOLD_MS = 7 * 24 * 60 * 60 * 1000;
const TAIL_ATTEMPTS = 50;

export interface CryptoQuote {
  id: number;
  orderId: number;
  chainId: number;
  token: string;
  symbol: string;
  decimals: number;
  amount: bigint;
  tail: bigint;
  modulus: bigint;
  receivingAddress: string;
  fromBlock: bigint;
  createdAt: number;
  expiresAt: number;
}

export function toQuote(row: CryptoQuoteRow): CryptoQuote {
  return {
    id: Number(row.id),
    orderId: Number(row.order_id),
    chainId: Number(row.chain_id),
    token: row.token,
    symbol: row.symbol,
    decimals: row.decimals,
    amount: BigInt(row.amount),
    tail: BigInt(row.tail),
    modulus: BigInt(row.tail_modulus),
    receivingAddress: row.receiving_address,
    fromBlock: BigInt(row.from_block),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function findChain(ctx: DomainContext, chainId: number): EvmChain | null {
  return ctx.billing.evm?.chains.find((c) => c.chainId === chainId) ?? null;
}

export function requireChainToken(ctx: DomainContext, chainId: number, token: string): { chain: EvmChain; token: EvmToken } {
  const chain = findChain(ctx, chainId);
  const found = chain?.tokens.find((t) => tokenKey(t) === token.toLowerCase() || t.symbol === token);
  if (chain === null || found === undefined) throw invalid('This network or token is not accepted here: choose one from the list.');
  return { chain, token: found };
}

/** The order's newest quote, or null. */
export async function latestQuote(db: Kysely<Database>, orderId: number): Promise<CryptoQuote | null> {
  const row = await db.selectFrom('crypto_quotes').selectAll().where('order_id', '=', orderId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? null : toQuote(row);
}

export async function findQuote(db: Kysely<Database>, id: number): Promise<CryptoQuote | null> {
  const row = await db.selectFrom('crypto_quotes').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : toQuote(row);
}

/**
 * A new quote for a pending crypto order: the total in `token` with a tail
 * no recent quote of that chain and token has. `head` is the chain's current
 * block: a payment for this quote can only be in a later one.
 */
export async function createQuote(
  ctx: DomainContext,
  order: Order,
  selection: { chain: EvmChain; token: EvmToken },
  head: bigint,
): Promise<CryptoQuote> {
  if (order.method !== 'crypto') throw invalid('This order is not paid in crypto.');
  if (order.status !== 'pending') throw conflict(`This order is ${order.status}.`);
  const { chain, token } = selection;
  const now = ctx.clock.now();
  const key = tokenKey(token);
  const modulus = tailModulus(token, ctx.billing.currency);
  const base = baseUnitsFor(order.breakdown.totalMinor, token, ctx.billing.currency);
  const expiresAt = now + ctx.billing.quoteValidityMs;
  return ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('crypto_tails').where('chain_id', '=', chain.chainId).where('token', '=', key).where('held_until', '<', now).execute();
    const inserted = await trx
      .insertInto('crypto_quotes')
      .values({
        order_id: order.id,
        chain_id: chain.chainId,
        token: key,
        symbol: token.symbol,
        decimals: token.decimals,
        amount: '0',
        tail: '0',
        tail_modulus: modulus.toString(),
        receiving_address: chain.receivingAddress,
        from_block: Number(head),
        created_at: now,
        expires_at: expiresAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const quoteId = Number(inserted.id);
    for (let attempt = 0; attempt < TAIL_ATTEMPTS; attempt += 1) {
      const tail = randomTail(modulus);
      // "on conflict do nothing": a taken tail leaves the transaction usable on PostgreSQL too.
      const held = await trx
        .insertInto('crypto_tails')
        .values({ chain_id: chain.chainId, token: key, tail: tail.toString(), quote_id: quoteId, held_until: expiresAt + TAIL_HOLD_MS })
        .onConflict((oc) => oc.doNothing())
        .returning('quote_id')
        .executeTakeFirst();
      if (held === undefined) continue;
      const amount = quotedAmount(base, modulus, tail);
      await trx.updateTable('crypto_quotes').set({ amount: amount.toString(), tail: tail.toString() }).where('id', '=', quoteId).execute();
      return toQuote(await trx.selectFrom('crypto_quotes').selectAll().where('id', '=', quoteId).executeTakeFirstOrThrow());
    }
    throw conflict('Too many payments are waiting in this token right now: try another token or try again later.');
  });
}

export type QuoteMatch = { quote: CryptoQuote; fit: 'exact' | 'over' | 'under' };

/**
 * The quote a transfer pays: one asking for exactly this amount (the newest,
 * should an old one have asked the same), else the quote holding the
 * amount's tail (the buyer sent more or less than asked). Null: nobody's.
 */
export async function matchQuote(db: Kysely<Database>, chainId: number, token: string, amount: bigint): Promise<QuoteMatch | null> {
  const exact = await db
    .selectFrom('crypto_quotes')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('token', '=', token)
    .where('amount', '=', amount.toString())
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (exact !== undefined) return { quote: toQuote(exact), fit: 'exact' };
  // Few moduli exist (one per token configuration): look each tail up by its key.
  const moduli = await db
    .selectFrom('crypto_tails')
    .innerJoin('crypto_quotes', 'crypto_quotes.id', 'crypto_tails.quote_id')
    .select('crypto_quotes.tail_modulus')
    .distinct()
    .where('crypto_tails.chain_id', '=', chainId)
    .where('crypto_tails.token', '=', token)
    .execute();
  for (const { tail_modulus } of moduli) {
    const modulus = BigInt(tail_modulus);
    const row = await db
      .selectFrom('crypto_tails')
      .innerJoin('crypto_quotes', 'crypto_quotes.id', 'crypto_tails.quote_id')
      .selectAll('crypto_quotes')
      .where('crypto_tails.chain_id', '=', chainId)
      .where('crypto_tails.token', '=', token)
      .where('crypto_tails.tail', '=', (amount % modulus).toString())
      .where('crypto_quotes.tail_modulus', '=', tail_modulus)
      .executeTakeFirst();
    if (row !== undefined) {
      const quote = toQuote(row);
      return { quote, fit: amount > quote.amount ? 'over' : 'under' };
    }
  }
  return null;
}
