import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBillingSettings } from '../src/config/billing-config.ts';
import { getInvoicePdf } from '../src/domain/billing/invoices.ts';
import { setTierPrice } from '../src/domain/billing/prices.ts';
import { applyPayment } from '../src/domain/payments/apply.ts';
import { recordOperatorPayment } from '../src/domain/payments/manual.ts';
import { placeOrder, quoteOrder } from '../src/domain/payments/orders.ts';
import { listPayments, subscriptionHistory } from '../src/domain/payments/payment-list.ts';
import { cancelSubscription, currentSubscription } from '../src/domain/subscriptions.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

const DAY = 86_400_000;

const billing = await buildBillingSettings({
  currency: 'EUR',
  seller: { name: 'Example Operator GmbH', address: ['Hauptstraße 1', '10115 Berlin'], country: 'DE', vatId: 'DE123456789', email: 'billing@example.org' },
  vat: { rates: { DE: 19 }, defaultRate: 19 },
  invoicePrefix: 'T-',
  bankTransfer: { instructions: 'IBAN DE00 0000 0000 0000 0000 00' },
});

/** The text of a PDF as poppler's pdftotext reads it (layout kept). */
function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-pdf-'));
  try {
    writeFileSync(join(dir, 'invoice.pdf'), pdf);
    return execFileSync('pdftotext', ['-layout', join(dir, 'invoice.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('payments and invoices', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestContext(START_MS, billing);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('prices a new subscription from the price list with VAT, and keeps the price of a placed order', async () => {
    const account = await newAccount(t.ctx);
    const quote = await quoteOrder(t.ctx, account.id, 'Basic', 'yearly');
    expect(quote.kind).toBe('new');
    expect(quote.breakdown).toMatchObject({ netMinor: 18_000, vatRateBp: 1900, vatMinor: 3_420, totalMinor: 21_420 });
    const order = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'yearly', method: 'bank_transfer' });
    expect(order.publicId).toMatch(/^RP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    t.clock.advance(1_000);
    await setTierPrice(t.ctx, 'Basic', 'yearly', 20_000);
    expect((await quoteOrder(t.ctx, account.id, 'Basic', 'yearly')).breakdown.netMinor).toBe(20_000);
    // The order placed before the change is paid at its own price.
    const { outcome } = await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 21_420, reference: order.publicId });
    expect(outcome.status).toBe('credited');
    const subscription = await currentSubscription(t.ctx, account.id);
    expect(subscription).toMatchObject({ status: 'active', isActive: true, provider: 'manual', billingPeriod: 'yearly' });
    expect(subscription?.tier.name).toBe('Basic');
    await setTierPrice(t.ctx, 'Basic', 'yearly', 18_000);
  });

  it('credits a payment exactly once, whatever the number of times it is reported', async () => {
    const account = await newAccount(t.ctx);
    const order = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'monthly', method: 'bank_transfer' });
    const event = {
      provider: 'manual' as const,
      paymentKey: `bank-${account.id}`,
      accountId: account.id,
      orderId: order.id,
      amountMinor: order.breakdown.totalMinor,
      methodLabel: 'bank transfer',
      reference: order.publicId,
      detail: {},
    };
    const outcomes = await Promise.all([applyPayment(t.ctx, event), applyPayment(t.ctx, event), applyPayment(t.ctx, event)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['credited', 'duplicate', 'duplicate']);
    const payments = await listPayments(t.ctx, { accountId: account.id });
    expect(payments).toHaveLength(1);
    const subscription = await currentSubscription(t.ctx, account.id);
    expect(subscription?.periodEnd.toISOString()).toBe('2025-02-28T12:00:01.000Z');
  });

  it('holds an underpayment for the operator and notes an overpayment', async () => {
    const account = await newAccount(t.ctx);
    const order = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'monthly', method: 'bank_transfer' });
    const under = await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 1_000, reference: order.publicId });
    expect(under.outcome).toMatchObject({ status: 'flagged', reason: 'underpaid: received €10.00 of €21.42' });
    expect(await currentSubscription(t.ctx, account.id)).toBeNull();

    const second = await placeOrder(t.ctx, account.id, { tierName: 'Basic', period: 'monthly', method: 'bank_transfer' });
    const over = await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 3_000, reference: second.publicId });
    expect(over.outcome.status).toBe('credited');
    const attention = await listPayments(t.ctx, { accountId: account.id, needsAttention: true });
    expect(attention.map((p) => p.flagReason)).toEqual(['overpaid by €8.58', 'underpaid: received €10.00 of €21.42']);
    // Paying the same order again is not a second month: it waits for the operator.
    const again = await applyPayment(t.ctx, {
      provider: 'manual',
      paymentKey: `statement-${account.id}`,
      accountId: account.id,
      orderId: second.id,
      amountMinor: 2_142,
      methodLabel: 'bank transfer',
      reference: second.publicId,
      detail: {},
    });
    expect(again).toMatchObject({ status: 'flagged', reason: `order ${second.publicId} was already paid` });
  });

  it('refuses a payment without an order unless the plan is named', async () => {
    const account = await newAccount(t.ctx);
    await expect(recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 2_142, reference: 'wire-1' })).rejects.toThrow(
      /--tier and --period/,
    );
    const { outcome } = await recordOperatorPayment(t.ctx, {
      accountId: account.id,
      amountMinor: 2_142,
      reference: 'wire-1',
      tierName: 'Basic',
      period: 'monthly',
    });
    expect(outcome.status).toBe('credited');
  });

  it('extends from the period end, keeps a cancellation, and upgrades at a prorated price for the same period', async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 2_142, reference: `a-${account.id}`, tierName: 'Basic', period: 'monthly' });
    await cancelSubscription(t.ctx, account.id);
    t.clock.advance(DAY);
    await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: 2_142, reference: `b-${account.id}`, tierName: 'Basic', period: 'monthly' });
    let subscription = await currentSubscription(t.ctx, account.id);
    expect(subscription).toMatchObject({ status: 'cancelled', isActive: true });
    expect(subscription?.periodEnd.toISOString()).toBe('2025-03-28T12:00:00.000Z');

    // Half-way (roughly) through: Advanced costs the difference for what is left.
    t.clock.set(Date.UTC(2025, 2, 1, 12));
    const quote = await quoteOrder(t.ctx, account.id, 'Advanced', 'yearly');
    expect(quote.kind).toBe('upgrade');
    expect(quote.period).toBe('monthly');
    const left = (Date.UTC(2025, 2, 28, 12) - Date.UTC(2025, 2, 1, 12)) / (Date.UTC(2025, 2, 28, 12) - START_MS);
    expect(quote.breakdown.netMinor).toBe(Math.round(1_800 * left));
    const upgrade = await placeOrder(t.ctx, account.id, { tierName: 'Advanced', period: 'monthly', method: 'bank_transfer' });
    await recordOperatorPayment(t.ctx, { accountId: account.id, amountMinor: upgrade.breakdown.totalMinor, reference: upgrade.publicId });
    subscription = await currentSubscription(t.ctx, account.id);
    expect(subscription?.tier.name).toBe('Advanced');
    expect(subscription?.periodEnd.toISOString()).toBe('2025-03-28T12:00:00.000Z');
    await expect(quoteOrder(t.ctx, account.id, 'Basic', 'monthly')).rejects.toThrow(/lower plan can be bought when it ends/);
    const history = await subscriptionHistory(t.ctx, account.id);
    expect(history.map((h) => h.action)).toEqual(['upgraded', 'renewed', 'cancelled', 'started']);
  });

  it('numbers invoices without gaps, renders them, and never lets them change', async () => {
    const all = await t.ctx.store.db.selectFrom('invoices').select(['sequence', 'number']).orderBy('sequence').execute();
    expect(all.map((i) => Number(i.sequence))).toEqual(all.map((_, i) => i + 1));
    expect(all[0]?.number).toBe('T-000001');

    const account = await newAccount(t.ctx);
    const { outcome } = await recordOperatorPayment(t.ctx, {
      accountId: account.id,
      amountMinor: 21_420,
      reference: 'wire-yearly',
      tierName: 'Basic',
      period: 'yearly',
    });
    if (outcome.status !== 'credited') throw new Error('not credited');
    const invoice = await getInvoicePdf(t.ctx, outcome.invoiceNumber, account.id);
    const text = pdfText(invoice.pdf);
    expect(text).toContain(`Invoice number: ${outcome.invoiceNumber}`);
    expect(text).toContain('Example Operator GmbH');
    expect(text).toContain('VAT ID: DE123456789');
    expect(text).toContain(account.username);
    expect(text).toContain(`${account.username}@example.com`);
    expect(text).toMatch(/Net\s+€180\.00/);
    expect(text).toMatch(/VAT 19 %\s+€34\.20/);
    expect(text).toMatch(/Total\s+€214\.20/);
    expect(text).toContain('rotki premium Basic, one year');
    // Another account cannot fetch it.
    await expect(getInvoicePdf(t.ctx, outcome.invoiceNumber, account.id + 1)).rejects.toThrow(/No invoice/);
    await expect(
      t.ctx.store.db.updateTable('invoices').set({ total_minor: 1 }).where('number', '=', outcome.invoiceNumber).execute(),
    ).rejects.toThrow(/immutable/);
    await expect(t.ctx.store.db.deleteFrom('invoices').where('number', '=', outcome.invoiceNumber).execute()).rejects.toThrow(/immutable/);
  });
});
