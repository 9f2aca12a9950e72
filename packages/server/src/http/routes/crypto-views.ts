import type { CryptoOption, CryptoQuote, OrderCrypto } from '@rotki-premium/protocol/billing-api';
import { formatUnits } from '../../domain/billing/money.ts';
import type { DomainContext } from '../../domain/context.ts';
import { paymentUri, tokenKey } from '../../domain/payments/evm/amounts.ts';
import { findChain, latestQuote, type CryptoQuote as DomainQuote } from '../../domain/payments/evm/quotes.ts';
import type { Order } from '../../domain/payments/orders.ts';

/** A crypto order's options and quote in the website's JSON shape. */

export function cryptoOptions(ctx: DomainContext): CryptoOption[] {
  return (ctx.billing.evm?.chains ?? []).flatMap((chain) =>
    chain.tokens.map((token) => ({ chainId: chain.chainId, chainName: chain.name, token: tokenKey(token), symbol: token.symbol })),
  );
}

async function quoteView(ctx: DomainContext, quote: DomainQuote): Promise<CryptoQuote> {
  const chain = findChain(ctx, quote.chainId);
  const tokenAddress = quote.token === 'native' ? null : (chain?.tokens.find((t) => tokenKey(t) === quote.token)?.address ?? quote.token);
  const uri = paymentUri(quote.chainId, { address: tokenAddress as `0x${string}` | null }, quote.receivingAddress, quote.amount);
  // The QR library loads on the first payment page that shows a code, not at start.
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const seen = await ctx.store.db
    .selectFrom('crypto_sightings')
    .select(['tx_hash', 'block_number'])
    .where('quote_id', '=', quote.id)
    .orderBy('block_number')
    .limit(1)
    .executeTakeFirst();
  const cursor = seen === undefined ? undefined : await ctx.store.db.selectFrom('chain_cursors').select('head').where('chain_id', '=', quote.chainId).executeTakeFirst();
  const required = chain?.confirmations ?? 0;
  return {
    chainId: quote.chainId,
    chainName: chain?.name ?? `chain ${quote.chainId}`,
    token: quote.token,
    tokenAddress,
    symbol: quote.symbol,
    decimals: quote.decimals,
    amount: quote.amount.toString(),
    amountText: formatUnits(quote.amount, quote.decimals),
    address: quote.receivingAddress,
    uri,
    qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    expiresAt: new Date(quote.expiresAt).toISOString(),
    expired: quote.expiresAt <= ctx.clock.now(),
    confirmationsRequired: required,
    seen:
      seen === undefined
        ? null
        : { txHash: seen.tx_hash, confirmations: Math.max(0, Number(cursor?.head ?? seen.block_number) - Number(seen.block_number)) },
  };
}

export async function orderCrypto(ctx: DomainContext, order: Order): Promise<OrderCrypto | null> {
  if (order.method !== 'crypto') return null;
  const quote = await latestQuote(ctx.store.db, order.id);
  return { options: cryptoOptions(ctx), quote: quote === null ? null : await quoteView(ctx, quote) };
}
