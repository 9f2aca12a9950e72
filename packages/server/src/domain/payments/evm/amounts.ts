import { randomInt } from 'node:crypto';
import { currencyDigits, formatUnits } from '../../billing/money.ts';
import type { EvmToken } from '../../billing/settings.ts';

/**
 * Token amounts for crypto quotes, in integer base units (bigint), never a
 * float. A quote asks for the order's total converted to the token, rounded
 * up to a multiple of the tail modulus, plus a random tail below it: the tail
 * is worth at most one minor unit of the currency (a cent) and tells whose
 * payment a transfer is, even when its amount is off.
 */

/** How a token is named in the tables and the API: "native" or its contract address in lower case. */
export function tokenKey(token: Pick<EvmToken, 'address'>): string {
  return token.address === null ? 'native' : token.address.toLowerCase();
}

/** Minor units of the currency one whole token is worth. */
export function minorPerToken(token: EvmToken, currency: string): bigint {
  return token.price.kind === 'stable' ? 10n ** BigInt(currencyDigits(currency)) : BigInt(token.price.minorPerToken);
}

/** Base units that are worth at least `minor` minor units (rounded up). */
export function baseUnitsFor(minor: number, token: EvmToken, currency: string): bigint {
  const per = minorPerToken(token, currency);
  const numerator = BigInt(minor) * 10n ** BigInt(token.decimals);
  return (numerator + per - 1n) / per;
}

/** What `amount` base units are worth in minor units (rounded down). */
export function valueInMinor(amount: bigint, token: EvmToken, currency: string): number {
  return Number((amount * minorPerToken(token, currency)) / 10n ** BigInt(token.decimals));
}

const MAX_TAIL_DIGITS = 9;
const MIN_TAIL_DIGITS = 3;

/**
 * The tail modulus 10^k: the largest power of ten of base units worth at most
 * one minor unit (capped at 10^9), but at least 10^3 (or 10^decimals for a
 * token with fewer decimals) so that enough tails exist.
 */
export function tailModulus(token: EvmToken, currency: string): bigint {
  const per = minorPerToken(token, currency);
  const unit = 10n ** BigInt(token.decimals);
  let digits = 0;
  while (digits < MAX_TAIL_DIGITS && 10n ** BigInt(digits + 1) * per <= unit) digits += 1;
  return 10n ** BigInt(Math.max(digits, Math.min(MIN_TAIL_DIGITS, token.decimals)));
}

/** The amount to ask for: `base` rounded up to the modulus, plus `tail` (1 ≤ tail < modulus). */
export function quotedAmount(base: bigint, modulus: bigint, tail: bigint): bigint {
  if (tail < 1n || tail >= modulus) throw new Error('tail out of range');
  return ((base + modulus - 1n) / modulus) * modulus + tail;
}

/** A random tail from 1 to modulus − 1. */
export function randomTail(modulus: bigint, random: (n: number) => number = randomInt): bigint {
  // Built from 6-digit chunks so that moduli above 2^53 draw evenly enough.
  let value = 0n;
  let span = 1n;
  while (span < modulus) {
    value = value * 1_000_000n + BigInt(random(1_000_000));
    span *= 1_000_000n;
  }
  return (value % (modulus - 1n)) + 1n;
}

/** "214.200042 USDC" */
export function formatTokenAmount(amount: bigint, decimals: number, symbol: string): string {
  return `${formatUnits(amount, decimals)} ${symbol}`;
}

/** An EIP-681 payment request: what a wallet app opens from the QR code. */
export function paymentUri(chainId: number, token: Pick<EvmToken, 'address'>, to: string, amount: bigint): string {
  if (token.address === null) return `ethereum:${to}@${chainId}?value=${amount.toString()}`;
  return `ethereum:${token.address}@${chainId}/transfer?address=${to}&uint256=${amount.toString()}`;
}
