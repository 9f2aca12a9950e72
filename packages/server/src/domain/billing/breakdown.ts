import { isVatIdOf } from '@rotki-premium/protocol/vat-ids';
import type { BillingSettings } from './settings.ts';

/** The member states of the EU (ISO codes; Greece's VAT ids start with EL). */
export const EU_COUNTRIES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
]);

export const REVERSE_CHARGE_NOTE = 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).';

/** Who pays: what the price and the invoice need from the billing profile. */
export interface Buyer {
  name: string;
  company: string | null;
  email: string;
  /** ISO alpha-2, upper case; null when the buyer gave none. */
  country: string | null;
  vatId: string | null;
  address: string[];
}

export interface PriceBreakdown {
  currency: string;
  netMinor: number;
  /** Basis points (1900 = 19 %). */
  vatRateBp: number;
  vatMinor: number;
  totalMinor: number;
  reverseCharge: boolean;
  /** A line the invoice prints under the VAT (reverse charge), or null. */
  vatNote: string | null;
}

/** An EU VAT identification number in its country's shape (see the protocol's `vat-ids`); no registry is asked. */
export function isEuVatIdFor(vatId: string, country: string): boolean {
  return EU_COUNTRIES.has(country) && isVatIdOf(vatId, country);
}

/** Half up, in integers: `net × bp / 10000`. */
function vatOf(netMinor: number, rateBp: number): number {
  return Math.floor((netMinor * rateBp + 5_000) / 10_000);
}

/**
 * THE price breakdown: every amount a buyer sees, is charged, and finds on the
 * invoice comes from here. Prices are net; VAT is added at the buyer's
 * country's configured rate (or the default rate), except for an EU business
 * in another member state than the seller with a VAT id (reverse charge).
 */
export function priceBreakdown(netMinor: number, buyer: Pick<Buyer, 'country' | 'vatId'>, billing: BillingSettings): PriceBreakdown {
  if (!Number.isSafeInteger(netMinor) || netMinor < 0) throw new Error(`net amount must be a whole number ≥ 0, got ${netMinor}`);
  const base = { currency: billing.currency, netMinor };
  const vat = billing.vat;
  if (vat === null) return { ...base, vatRateBp: 0, vatMinor: 0, totalMinor: netMinor, reverseCharge: false, vatNote: null };
  const country = buyer.country;
  if (
    vat.euReverseCharge &&
    country !== null &&
    buyer.vatId !== null &&
    country !== billing.seller.country &&
    isEuVatIdFor(buyer.vatId, country)
  ) {
    return { ...base, vatRateBp: 0, vatMinor: 0, totalMinor: netMinor, reverseCharge: true, vatNote: REVERSE_CHARGE_NOTE };
  }
  const rateBp = (country === null ? undefined : vat.rates[country]) ?? vat.defaultRateBp;
  const vatMinor = vatOf(netMinor, rateBp);
  return { ...base, vatRateBp: rateBp, vatMinor, totalMinor: netMinor + vatMinor, reverseCharge: false, vatNote: null };
}

/** "19 %" or "7.7 %". */
export function formatRate(rateBp: number): string {
  const whole = Math.floor(rateBp / 100);
  const fraction = String(rateBp % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${fraction === '' ? '' : `.${fraction}`} %`;
}
