/**
 * The shape of each EU member state's VAT identification number (after its
 * prefix; Greece's prefix is EL). Only the form is checked: no registry (VIES)
 * is asked whether the number exists. Browser-safe.
 */
const VAT_ID_SHAPES: Record<string, RegExp> = {
  AT: /^U\d{8}$/,
  BE: /^[01]\d{9}$/,
  BG: /^\d{9,10}$/,
  HR: /^\d{11}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  FI: /^\d{8}$/,
  FR: /^[A-HJ-NP-Z0-9]{2}\d{9}$/,
  DE: /^\d{9}$/,
  GR: /^\d{9}$/,
  HU: /^\d{8}$/,
  IE: /^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^\d{11}$/,
  LV: /^\d{11}$/,
  LT: /^(\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/,
  PT: /^\d{9}$/,
  RO: /^[1-9]\d{1,9}$/,
  SK: /^\d{10}$/,
  SI: /^\d{8}$/,
  ES: /^[A-Z0-9]\d{7}[A-Z0-9]$/,
  SE: /^\d{12}$/,
};

/** The member states of the EU (ISO alpha-2; Greece is GR, its VAT ids start with EL). */
export const EU_COUNTRY_CODES: readonly string[] = Object.keys(VAT_ID_SHAPES);

/** Spaces, dots and dashes removed, upper case. */
export function compactVatId(vatId: string): string {
  return vatId.replace(/[\s.-]/g, '').toUpperCase();
}

/** Whether `vatId` has the form of a VAT id of `country` (ISO alpha-2), prefix included. */
export function isVatIdOf(vatId: string, country: string): boolean {
  const shape = VAT_ID_SHAPES[country];
  if (shape === undefined) return false;
  const compact = compactVatId(vatId);
  const prefix = country === 'GR' ? 'EL' : country;
  return compact.startsWith(prefix) && shape.test(compact.slice(prefix.length));
}
