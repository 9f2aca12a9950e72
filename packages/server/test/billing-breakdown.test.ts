import { describe, expect, it } from 'vitest';
import { buildBillingSettings } from '../src/config/billing-config.ts';
import { isEuVatIdFor, priceBreakdown, REVERSE_CHARGE_NOTE } from '../src/domain/billing/breakdown.ts';
import { formatMoney, formatUnits, parseUnits } from '../src/domain/billing/money.ts';
import { proratedUpgrade } from '../src/domain/billing/periods.ts';
import { DEFAULT_BILLING } from '../src/domain/billing/settings.ts';

const withVat = await buildBillingSettings({
  currency: 'EUR',
  seller: { name: 'Operator GmbH', address: ['Hauptstraße 1', '10115 Berlin'], country: 'DE', vatId: 'DE123456789' },
  vat: { rates: { DE: 19, FR: 20, LU: '17' }, defaultRate: 19 },
});

describe('priceBreakdown', () => {
  it('adds nothing when the operator configured no VAT', () => {
    expect(priceBreakdown(18_000, { country: 'FR', vatId: null }, DEFAULT_BILLING)).toEqual({
      currency: 'EUR',
      netMinor: 18_000,
      vatRateBp: 0,
      vatMinor: 0,
      totalMinor: 18_000,
      reverseCharge: false,
      vatNote: null,
    });
  });

  it("charges the buyer's country's rate, else the default rate", () => {
    expect(priceBreakdown(18_000, { country: 'FR', vatId: null }, withVat)).toMatchObject({ vatRateBp: 2000, vatMinor: 3_600, totalMinor: 21_600 });
    expect(priceBreakdown(18_000, { country: 'US', vatId: null }, withVat)).toMatchObject({ vatRateBp: 1900, vatMinor: 3_420, totalMinor: 21_420 });
    expect(priceBreakdown(18_000, { country: null, vatId: null }, withVat)).toMatchObject({ vatRateBp: 1900, totalMinor: 21_420 });
  });

  it('rounds half up to the cent', () => {
    // 1.19 × 0.19 = 0.2261 → 0.23; 0.05 × 0.17 = 0.0085 → 0.01
    expect(priceBreakdown(119, { country: 'DE', vatId: null }, withVat).vatMinor).toBe(23);
    expect(priceBreakdown(5, { country: 'LU', vatId: null }, withVat).vatMinor).toBe(1);
    expect(priceBreakdown(2, { country: 'LU', vatId: null }, withVat).vatMinor).toBe(0);
  });

  it('reverse-charges an EU business in another member state, and only there', () => {
    const reverse = priceBreakdown(18_000, { country: 'FR', vatId: 'FR 12 345678901' }, withVat);
    expect(reverse).toMatchObject({ vatRateBp: 0, vatMinor: 0, totalMinor: 18_000, reverseCharge: true, vatNote: REVERSE_CHARGE_NOTE });
    // Same country as the seller: domestic VAT.
    expect(priceBreakdown(18_000, { country: 'DE', vatId: 'DE999999999' }, withVat)).toMatchObject({ vatMinor: 3_420, reverseCharge: false });
    // A VAT id of another country than the buyer's, or malformed: VAT is charged.
    expect(priceBreakdown(18_000, { country: 'FR', vatId: 'IT12345678901' }, withVat).reverseCharge).toBe(false);
    expect(priceBreakdown(18_000, { country: 'FR', vatId: 'FR' }, withVat).reverseCharge).toBe(false);
    // Outside the EU there is no reverse charge to claim.
    expect(priceBreakdown(18_000, { country: 'CH', vatId: 'CHE123456789' }, withVat).reverseCharge).toBe(false);
  });

  it('knows the Greek EL prefix', () => {
    expect(isEuVatIdFor('EL123456789', 'GR')).toBe(true);
    expect(isEuVatIdFor('GR123456789', 'GR')).toBe(false);
  });
});

describe('proratedUpgrade', () => {
  const period = { startMs: 0, endMs: 1_000 };
  it('charges the difference for the share of the period left', () => {
    expect(proratedUpgrade(1_800, 3_600, period, 0)).toBe(1_800);
    expect(proratedUpgrade(1_800, 3_600, period, 500)).toBe(900);
    expect(proratedUpgrade(1_800, 3_600, period, 999)).toBe(2);
  });
  it('charges nothing after the end or for a cheaper plan', () => {
    expect(proratedUpgrade(1_800, 3_600, period, 1_000)).toBe(0);
    expect(proratedUpgrade(3_600, 1_800, period, 0)).toBe(0);
  });
  it('stays exact for a year in milliseconds', () => {
    const year = { startMs: 0, endMs: 365 * 86_400_000 };
    expect(proratedUpgrade(18_000, 36_000, year, year.endMs / 2)).toBe(9_000);
  });
});

describe('money', () => {
  it('formats minor units without floats', () => {
    expect(formatMoney(21_600, 'EUR')).toBe('€216.00');
    expect(formatMoney(5, 'USD')).toBe('US$0.05');
    expect(formatMoney(1_500, 'JPY')).toBe('JP¥1,500');
    expect(formatMoney(900_719_925_474_099, 'EUR')).toBe('€9,007,199,254,740.99');
  });
  it('converts decimal strings and base units both ways', () => {
    expect(parseUnits('216.5', 2)).toBe(21_650n);
    expect(parseUnits('0.000001', 18)).toBe(1_000_000_000_000n);
    expect(formatUnits(1_500_000n, 6)).toBe('1.5');
    expect(formatUnits(7n, 18)).toBe('0.000000000000000007');
    expect(() => parseUnits('1.234', 2)).toThrow(/more than 2 decimals/);
    expect(() => parseUnits('-1', 2)).toThrow();
    expect(() => parseUnits('1e3', 2)).toThrow();
  });
});

describe('billing configuration', () => {
  it('names the field that is wrong', async () => {
    await expect(buildBillingSettings({ currency: 'EURO' })).rejects.toThrow(/currency/);
    await expect(buildBillingSettings({ vat: { rates: { DE: 120 } } })).rejects.toThrow(/vat\.rates\.DE/);
    await expect(buildBillingSettings({ stripe: {} })).rejects.toThrow(/ROTKI_PREMIUM_STRIPE_SECRET_KEY/);
    await expect(
      buildBillingSettings({
        crypto: { chains: [{ chainId: 1, name: 'Ethereum', rpcUrl: 'http://127.0.0.1:8545', receivingAddress: '0x12', confirmations: 3, tokens: [] }] },
      }),
    ).rejects.toThrow(/receivingAddress/);
  });
  it('turns token rates into minor units per token', async () => {
    const settings = await buildBillingSettings({
      currency: 'USD',
      crypto: {
        chains: [
          {
            chainId: 31337,
            name: 'Local',
            rpcUrl: 'http://127.0.0.1:8545',
            receivingAddress: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
            confirmations: 2,
            tokens: [
              { symbol: 'ETH', decimals: 18, rate: '3000.50' },
              { symbol: 'USDC', address: '0x5fbdb2315678afecb367f032d93f642f64180aa3', decimals: 6, stable: true },
            ],
          },
        ],
      },
    });
    const chain = settings.evm?.chains[0];
    expect(chain?.receivingAddress).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    expect(chain?.tokens[0]?.price).toEqual({ kind: 'rate', minorPerToken: 300_050 });
    expect(chain?.tokens[1]).toMatchObject({ address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', price: { kind: 'stable' } });
  });
});
