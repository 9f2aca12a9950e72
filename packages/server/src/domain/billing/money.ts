/**
 * Money is an integer count of the currency's minor units (cents) with its
 * ISO 4217 code; crypto amounts are integer base units (wei) with the token's
 * decimals. Never a float.
 */

/** Each currency's formatter, made once: making one costs far more than using it (a price list makes dozens). */
const formats = new Map<string, { digits: number; format: Intl.NumberFormat }>();

function moneyFormat(currency: string): { digits: number; format: Intl.NumberFormat } {
  let entry = formats.get(currency);
  if (entry === undefined) {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    entry = { digits, format: new Intl.NumberFormat('en-GB', { style: 'currency', currency, minimumFractionDigits: digits }) };
    formats.set(currency, entry);
  }
  return entry;
}

/** Digits after the decimal point of `currency` (2 for EUR, 0 for JPY). */
export function currencyDigits(currency: string): number {
  return moneyFormat(currency).digits;
}

/** True for a code Intl knows as a currency. */
export function isCurrencyCode(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return true;
  } catch {
    return false;
  }
}

/** `1234` EUR → "€12.34"; exact, whatever the size. */
export function formatMoney(minor: number, currency: string): string {
  const { digits, format } = moneyFormat(currency);
  // Intl takes a decimal string without going through a float.
  return format.format(`${minor < 0 ? '-' : ''}${formatUnits(BigInt(Math.abs(minor)), digits)}` as Intl.StringNumericLiteral);
}

/** Base units as a decimal string without trailing zeros: 1500000n with 6 decimals → "1.5". */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** "12.5" with 2 decimals → 1250n; refuses more decimals than allowed, signs and exponents. */
export function parseUnits(text: string, decimals: number): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a plain decimal number`);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) throw new Error(`"${text}" has more than ${decimals} decimals`);
  return BigInt(`${match[1]}${fraction.padEnd(decimals, '0')}`);
}
