import { formatRate, type Buyer, type PriceBreakdown } from './breakdown.ts';
import { formatMoney } from './money.ts';
import type { Seller } from './settings.ts';

/** Everything printed on an invoice, fixed when it is issued. */
export interface InvoiceDocument {
  number: string;
  issuedAt: number;
  seller: Seller;
  buyer: Buyer;
  /** One line: what was bought. */
  description: string;
  /** The period the payment covers, when it covers one. */
  period: { startMs: number; endMs: number } | null;
  breakdown: PriceBreakdown;
  /** "Card (Stripe)", "USDC on Base", "Bank transfer"… */
  paymentMethod: string;
  paymentReference: string;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const MARGIN = 56;
const GREY = '#555555';

/**
 * Renders an invoice as a PDF with pdfkit's built-in Helvetica (no font files
 * to ship). The document's dates are the invoice's, so the same invoice always
 * renders to the same bytes.
 */
export async function renderInvoicePdf(invoice: InvoiceDocument): Promise<Buffer> {
  // Loaded on first use: admin commands that issue no invoice start without it.
  const { default: PDFDocument } = await import('pdfkit');
  const issued = new Date(invoice.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `Invoice ${invoice.number}`, Author: invoice.seller.name, CreationDate: issued, ModDate: issued },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const money = (minor: number) => formatMoney(minor, invoice.breakdown.currency);
  const { seller, buyer, breakdown } = invoice;

  doc.font('Helvetica-Bold').fontSize(22).text('Invoice', MARGIN, MARGIN);
  doc.font('Helvetica').fontSize(10).fillColor(GREY);
  doc.text(`Invoice number: ${invoice.number}`);
  doc.text(`Date of issue: ${isoDate(invoice.issuedAt)}`);
  if (invoice.period !== null) doc.text(`Service period: ${isoDate(invoice.period.startMs)} to ${isoDate(invoice.period.endMs)}`);
  doc.fillColor('black').moveDown(1.5);

  const top = doc.y;
  const column = width / 2 - 10;
  const block = (x: number, title: string, lines: string[]) => {
    doc.font('Helvetica-Bold').fontSize(10).text(title, x, top, { width: column });
    doc.font('Helvetica').fontSize(10);
    for (const line of lines) doc.text(line, x, doc.y, { width: column });
    return doc.y;
  };
  const sellerEnd = block(MARGIN, 'From', [
    seller.name,
    ...seller.address,
    seller.country,
    ...(seller.vatId === null ? [] : [`VAT ID: ${seller.vatId}`]),
    ...(seller.email === null ? [] : [seller.email]),
  ]);
  const buyerEnd = block(MARGIN + width / 2 + 10, 'Bill to', [
    ...(buyer.company === null ? [] : [buyer.company]),
    buyer.name,
    ...buyer.address,
    ...(buyer.country === null ? [] : [buyer.country]),
    ...(buyer.vatId === null ? [] : [`VAT ID: ${buyer.vatId}`]),
    buyer.email,
  ]);
  doc.y = Math.max(sellerEnd, buyerEnd) + 30;

  const amountX = MARGIN + width - 120;
  const row = (label: string, amount: string, bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    doc.text(label, MARGIN, y, { width: amountX - MARGIN - 10 });
    const end = doc.y;
    doc.text(amount, amountX, y, { width: 120, align: 'right' });
    doc.y = Math.max(end, doc.y) + 4;
  };
  const rule = () => {
    doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + width, doc.y).lineWidth(0.5).strokeColor('#999999').stroke();
    doc.y += 6;
  };

  row('Description', 'Amount', true);
  rule();
  row(invoice.description, money(breakdown.netMinor));
  rule();
  row('Net', money(breakdown.netMinor));
  row(breakdown.reverseCharge ? 'VAT (reverse charge)' : `VAT ${formatRate(breakdown.vatRateBp)}`, money(breakdown.vatMinor));
  row('Total', money(breakdown.totalMinor), true);
  doc.moveDown(1);
  doc.font('Helvetica').fontSize(10);
  if (breakdown.vatNote !== null) doc.text(breakdown.vatNote, MARGIN, doc.y, { width });
  doc.moveDown(0.5);
  doc.text(`Paid by ${invoice.paymentMethod}. Reference: ${invoice.paymentReference}`, MARGIN, doc.y, { width });
  doc.end();
  return done;
}
