/**
 * Renders the sample invoice of the docs: a throwaway invoice (made-up seller
 * and buyer) through the same PDF code the server uses, turned into
 * docs/images/invoice.png with Debian's pdftoppm (poppler-utils).
 *
 *   npx tsx scripts/invoice-image.ts
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildBillingSettings } from '../packages/server/src/config/billing-config.ts';
import { priceBreakdown } from '../packages/server/src/domain/billing/breakdown.ts';
import { renderInvoicePdf } from '../packages/server/src/domain/billing/invoice-pdf.ts';
import { readPdf } from '../test-support/pdf.ts';

const billing = await buildBillingSettings({
  currency: 'EUR',
  seller: {
    name: 'Example Premium Operator GmbH',
    address: ['Hauptstraße 1', '10115 Berlin'],
    country: 'DE',
    vatId: 'DE123456789',
    email: 'billing@example.org',
  },
  vat: { rates: { DE: 19 }, defaultRate: 19 },
});
const buyer = {
  name: 'Satoshi Example',
  company: 'Example Trading SARL',
  email: 'satoshi@example.com',
  country: 'FR',
  vatId: 'FR12345678901',
  address: ['1 rue de l’Exemple', '75001 Paris'],
};
const issuedAt = Date.UTC(2026, 11, 2, 10, 0);
const pdf = await renderInvoicePdf({
  number: 'INV-000042',
  issuedAt,
  seller: billing.seller,
  buyer,
  description: 'rotki premium Basic, one year',
  period: { startMs: issuedAt, endMs: Date.UTC(2027, 11, 2, 10, 0) },
  breakdown: priceBreakdown(18_000, buyer, billing),
  paymentMethod: 'USDC on Base',
  paymentReference: '0x3f9c…e21a',
});
const out = join(resolve(import.meta.dirname, '..'), 'docs/images/invoice.png');
writeFileSync(out, readPdf(pdf, 80).png);
console.log(`wrote ${out}`);
