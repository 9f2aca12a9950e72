import { describe, expect, it } from 'vitest';
import type { EvmToken } from '../src/domain/billing/settings.ts';
import {
  baseUnitsFor,
  paymentUri,
  quotedAmount,
  randomTail,
  tailModulus,
  tokenKey,
  valueInMinor,
} from '../src/domain/payments/evm/amounts.ts';
import { paymentKey } from '../src/domain/payments/evm/settle.ts';

const USDC: EvmToken = { symbol: 'USDC', address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', decimals: 6, price: { kind: 'stable' } };
const ETH: EvmToken = { symbol: 'ETH', address: null, decimals: 18, price: { kind: 'rate', minorPerToken: 300_000 } };

describe('crypto quote amounts', () => {
  it('converts the total to base units, rounding up, and back, rounding down', () => {
    expect(baseUnitsFor(21_420, USDC, 'EUR')).toBe(214_200_000n);
    // €214.20 at €3000.00 per ETH.
    expect(baseUnitsFor(21_420, ETH, 'EUR')).toBe(71_400_000_000_000_000n);
    expect(baseUnitsFor(1, ETH, 'EUR')).toBe(3_333_333_333_334n);
    expect(valueInMinor(214_200_000n, USDC, 'EUR')).toBe(21_420);
    expect(valueInMinor(3_333_333_333_333n, ETH, 'EUR')).toBe(0);
    // A currency without minor units: one USDC is one yen.
    expect(baseUnitsFor(500, USDC, 'JPY')).toBe(500_000_000n);
  });

  it('keeps the tail worth at most one minor unit', () => {
    expect(tailModulus(USDC, 'EUR')).toBe(10_000n);
    expect(tailModulus(ETH, 'EUR')).toBe(1_000_000_000n);
    for (const token of [USDC, ETH]) {
      expect(valueInMinor(tailModulus(token, 'EUR'), token, 'EUR')).toBeLessThanOrEqual(1);
    }
  });

  it('asks for the total rounded up to the modulus plus the tail, never less than the total', () => {
    expect(quotedAmount(214_200_000n, 10_000n, 42n)).toBe(214_200_042n);
    expect(quotedAmount(214_200_001n, 10_000n, 42n)).toBe(214_210_042n);
    expect(() => quotedAmount(1n, 10_000n, 0n)).toThrow();
    expect(() => quotedAmount(1n, 10_000n, 10_000n)).toThrow();
    for (let i = 0; i < 200; i += 1) {
      const tail = randomTail(10_000n);
      expect(tail >= 1n && tail < 10_000n).toBe(true);
      expect(quotedAmount(214_200_000n, 10_000n, tail) % 10_000n).toBe(tail);
    }
    expect(randomTail(10n ** 9n, () => 999_999)).toBeLessThan(10n ** 9n);
  });

  it('names tokens, payments and EIP-681 requests', () => {
    expect(tokenKey(USDC)).toBe('0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48');
    expect(tokenKey(ETH)).toBe('native');
    expect(paymentKey({ chainId: 8453, txHash: '0xABC', logIndex: 3 })).toBe('8453:0xabc:3');
    expect(paymentKey({ chainId: 1, txHash: '0xabc', logIndex: -1 })).toBe('1:0xabc:native');
    expect(paymentUri(1, ETH, '0xRecv', 5n)).toBe('ethereum:0xRecv@1?value=5');
    expect(paymentUri(8453, USDC, '0xRecv', 7n)).toBe(`ethereum:${USDC.address}@8453/transfer?address=0xRecv&uint256=7`);
  });
});
