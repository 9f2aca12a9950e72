import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { DomainContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { renderInvoicePdf, type InvoiceDocument } from './invoice-pdf.ts';

export interface IssuedInvoice {
  id: number;
  number: string;
  sequence: number;
  paymentId: number;
  issuedAt: number;
}

/** "INV-000042". */
export function invoiceNumber(prefix: string, sequence: number): string {
  return `${prefix}${String(sequence).padStart(6, '0')}`;
}

/**
 * Issues the invoice of one payment inside the caller's transaction `trx`:
 * takes the next number from the sequence row (locked by the update until the
 * transaction ends), renders the PDF and stores it. If the transaction rolls
 * back, the number is not used, so numbers have no gaps.
 */
export async function issueInvoice(
  trx: Kysely<Database>,
  ctx: DomainContext,
  input: { paymentId: number; accountId: number | null; document: Omit<InvoiceDocument, 'number' | 'issuedAt' | 'seller'> },
): Promise<IssuedInvoice> {
  const next = await trx
    .updateTable('invoice_sequences')
    .set((eb) => ({ last_value: eb('last_value', '+', 1) }))
    .where('name', '=', 'invoice')
    .returning('last_value')
    .executeTakeFirstOrThrow();
  const sequence = Number(next.last_value);
  const number = invoiceNumber(ctx.billing.invoicePrefix, sequence);
  const issuedAt = ctx.clock.now();
  const pdf = await renderInvoicePdf({ ...input.document, number, issuedAt, seller: ctx.billing.seller });
  const { breakdown } = input.document;
  const row = await trx
    .insertInto('invoices')
    .values({
      sequence,
      number,
      payment_id: input.paymentId,
      account_id: input.accountId,
      currency: breakdown.currency,
      net_minor: breakdown.netMinor,
      vat_minor: breakdown.vatMinor,
      total_minor: breakdown.totalMinor,
      issued_at: issuedAt,
      pdf,
      sha256: createHash('sha256').update(pdf).digest('hex'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), number, sequence, paymentId: input.paymentId, issuedAt };
}

export interface StoredInvoice {
  number: string;
  pdf: Buffer;
  sha256: string;
}

/** An invoice's PDF; with `accountId`, only that account's own (anyone else's is "not found"). */
export async function getInvoicePdf(ctx: DomainContext, number: string, accountId: number | null): Promise<StoredInvoice> {
  let query = ctx.store.db.selectFrom('invoices').select(['number', 'pdf', 'sha256']).where('number', '=', number);
  if (accountId !== null) query = query.where('account_id', '=', accountId);
  const row = await query.executeTakeFirst();
  if (row === undefined) throw notFound(`No invoice ${number}`);
  return { number: row.number, pdf: Buffer.from(row.pdf), sha256: row.sha256 };
}
