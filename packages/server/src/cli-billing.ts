import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { requiredOption } from './cli-options.ts';
import { requireAccount } from './domain/accounts.ts';
import type { DomainContext } from './domain/context.ts';
import { getInvoicePdf } from './domain/billing/invoices.ts';
import { currencyDigits, formatMoney, parseUnits } from './domain/billing/money.ts';
import { parseBillingPeriod, setTierPrice } from './domain/billing/prices.ts';
import { recordOperatorPayment } from './domain/payments/manual.ts';
import { listPayments, type PaymentView } from './domain/payments/payment-list.ts';
import { invalid } from './domain/errors.ts';
import { replayProviderEvent } from './domain/payments/event-replay.ts';
import { listProviderEvents } from './domain/payments/provider-events.ts';

interface Json {
  json?: boolean;
}

export interface BillingCommandHelpers {
  storeOptions(command: Command): Command;
  jsonOption(command: Command): Command;
  print(json: boolean | undefined, human: string, object: Record<string, unknown>): void;
  withContext<T>(options: object, work: (ctx: DomainContext) => Promise<T>): Promise<T>;
}

/** "216.00" in the operator's currency → minor units. */
function amountOf(ctx: DomainContext, text: string): number {
  try {
    const minor = parseUnits(text, currencyDigits(ctx.billing.currency));
    if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('too large');
    return Number(minor);
  } catch {
    throw invalid(`--amount must be an amount in ${ctx.billing.currency} such as 18.00, got "${text}"`);
  }
}

function paymentJson(p: PaymentView) {
  return {
    id: p.id,
    username: p.username,
    provider: p.provider,
    payment_key: p.providerPaymentId,
    amount_minor: p.amountMinor,
    currency: p.currency,
    status: p.status,
    flag_reason: p.flagReason,
    method: p.method,
    reference: p.reference,
    order: p.orderReference,
    invoice: p.invoiceNumber,
    period_end: p.periodEnd === null ? null : new Date(p.periodEnd).toISOString(),
    created_at: new Date(p.createdAt).toISOString(),
  };
}

/** `admin tiers set-price`, `admin payment record|list`, `admin invoice get`. */
export function registerBillingCommands(admin: Command, tiers: Command, helpers: BillingCommandHelpers): void {
  const { storeOptions, jsonOption, print, withContext } = helpers;

  jsonOption(
    storeOptions(
      tiers
        .command('set-price')
        .description("set a tier's price for new periods (orders already placed keep theirs)")
        .addOption(requiredOption('--tier <tier>', 'tier name', 'ROTKI_PREMIUM_TIER'))
        .addOption(requiredOption('--period <period>', 'monthly or yearly', 'ROTKI_PREMIUM_PERIOD'))
        .addOption(requiredOption('--amount <amount>', 'net price in the billing currency, e.g. 18.00', 'ROTKI_PREMIUM_AMOUNT')),
    ),
  ).action(async (options: Json & { tier: string; period: string; amount: string }) => {
    await withContext(options, async (ctx) => {
      const period = parseBillingPeriod(options.period);
      const amount = amountOf(ctx, options.amount);
      const tier = await setTierPrice(ctx, options.tier, period, amount);
      print(options.json, `${tier.name} costs ${formatMoney(amount, ctx.billing.currency)} ${period} from now on`, {
        tier: tier.name,
        period,
        currency: ctx.billing.currency,
        amount_minor: amount,
      });
    });
  });

  const payment = admin.command('payment').description('payments: record a bank transfer, list payments');
  jsonOption(
    storeOptions(
      payment
        .command('record')
        .description('record a payment that reached you (a bank transfer): pays the order it names, issues the invoice')
        .addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))
        .addOption(requiredOption('--amount <amount>', 'amount received in the billing currency, e.g. 216.00', 'ROTKI_PREMIUM_AMOUNT'))
        .addOption(requiredOption('--reference <ref>', "the buyer's order reference (RP-…) or your own; recorded once", 'ROTKI_PREMIUM_REFERENCE'))
        .addOption(new Option('--tier <tier>', 'without an order reference: the plan it pays').env('ROTKI_PREMIUM_TIER'))
        .addOption(new Option('--period <period>', 'without an order reference: monthly or yearly').env('ROTKI_PREMIUM_PERIOD')),
    ),
  ).action(async (options: Json & { username: string; amount: string; reference: string; tier?: string; period?: string }) => {
    await withContext(options, async (ctx) => {
      const owner = await requireAccount(ctx, options.username);
      const { order, outcome } = await recordOperatorPayment(ctx, {
        accountId: owner.id,
        amountMinor: amountOf(ctx, options.amount),
        reference: options.reference,
        tierName: options.tier,
        period: options.period === undefined ? undefined : parseBillingPeriod(options.period),
      });
      const text =
        outcome.status === 'credited'
          ? `Payment credited to ${owner.username}: ${order.tierName} until ${new Date(outcome.periodEnd).toISOString().slice(0, 10)}, invoice ${outcome.invoiceNumber}`
          : outcome.status === 'flagged'
            ? `Payment kept for review, not credited: ${outcome.reason}`
            : `This payment was recorded before (reference ${options.reference}); nothing changed`;
      print(options.json, text, {
        username: owner.username,
        order: order.publicId,
        status: outcome.status,
        payment_id: outcome.paymentId,
        ...(outcome.status === 'credited'
          ? { invoice: outcome.invoiceNumber, period_end: new Date(outcome.periodEnd).toISOString() }
          : {}),
        ...(outcome.status === 'flagged' ? { reason: outcome.reason } : {}),
      });
    });
  });

  jsonOption(
    storeOptions(
      payment
        .command('list')
        .description('payments, newest first')
        .addOption(new Option('--username <name>', "only this account's").env('ROTKI_PREMIUM_USERNAME'))
        .addOption(new Option('--attention', 'only payments held for review or credited with a note'))
        .addOption(new Option('--limit <n>', 'how many').default('100')),
    ),
  ).action(async (options: Json & { username?: string; attention?: boolean; limit: string }) => {
    await withContext(options, async (ctx) => {
      const accountId = options.username === undefined ? undefined : (await requireAccount(ctx, options.username)).id;
      const list = await listPayments(ctx, {
        ...(accountId === undefined ? {} : { accountId }),
        needsAttention: options.attention === true,
        limit: Number.parseInt(options.limit, 10) || 100,
      });
      const text = list
        .map(
          (p) =>
            `${new Date(p.createdAt).toISOString()}  ${(p.username ?? '-').padEnd(16)} ${formatMoney(p.amountMinor, p.currency).padStart(12)}  ${p.status.padEnd(8)} ${p.invoiceNumber ?? '-'}  ${p.method}: ${p.reference}${p.flagReason === null ? '' : `  (${p.flagReason})`}`,
        )
        .join('\n');
      print(options.json, text === '' ? 'No payments' : text, { payments: list.map(paymentJson) });
    });
  });

  const events = admin.command('events').description("payment providers' events (webhooks) and what processing did");
  jsonOption(
    storeOptions(
      events
        .command('list')
        .description('events, newest first')
        .addOption(new Option('--failed', 'only events whose processing failed'))
        .addOption(new Option('--limit <n>', 'how many').default('50')),
    ),
  ).action(async (options: Json & { failed?: boolean; limit: string }) => {
    await withContext(options, async (ctx) => {
      const list = await listProviderEvents(ctx, {
        ...(options.failed === true ? { status: 'failed' as const } : {}),
        limit: Number.parseInt(options.limit, 10) || 50,
      });
      const text = list
        .map((e) => `${String(e.id).padStart(6)}  ${new Date(e.receivedAt).toISOString()}  ${e.provider} ${e.type.padEnd(30)} ${e.status.padEnd(9)} ${e.outcome}`)
        .join('\n');
      print(options.json, text === '' ? 'No events' : text, {
        events: list.map((e) => ({
          id: e.id,
          provider: e.provider,
          event_id: e.eventId,
          type: e.type,
          status: e.status,
          outcome: e.outcome,
          attempts: e.attempts,
          received_at: new Date(e.receivedAt).toISOString(),
        })),
      });
    });
  });
  jsonOption(
    storeOptions(
      events
        .command('replay')
        .description('process a stored event again (safe: what it does is applied once)')
        .addOption(requiredOption('--id <n>', 'the event id from admin events list', 'ROTKI_PREMIUM_EVENT_ID')),
    ),
  ).action(async (options: Json & { id: string }) => {
    await withContext(options, async (ctx) => {
      const id = Number(options.id);
      if (!Number.isSafeInteger(id) || id < 1) throw invalid(`--id must be an event id, got "${options.id}"`);
      // The provider's client too: an event may lead to a call (moving a card renewal to an upgraded plan).
      const { openPaymentProviders } = await import('./domain/payments/providers.ts');
      const result = await replayProviderEvent(ctx, id, (await openPaymentProviders(ctx)).gateways);
      print(options.json, `Event ${id}: ${result.status}: ${result.outcome}`, { id, status: result.status, outcome: result.outcome });
    });
  });

  const invoice = admin.command('invoice').description('issued invoices');
  jsonOption(
    storeOptions(
      invoice
        .command('get')
        .description('write an invoice PDF to a file')
        .addOption(requiredOption('--number <number>', 'invoice number, e.g. INV-000001', 'ROTKI_PREMIUM_INVOICE'))
        .addOption(requiredOption('--output <file>', 'where to write the PDF', 'ROTKI_PREMIUM_OUTPUT')),
    ),
  ).action(async (options: Json & { number: string; output: string }) => {
    await withContext(options, async (ctx) => {
      const stored = await getInvoicePdf(ctx, options.number, null);
      writeFileSync(options.output, stored.pdf);
      print(options.json, `Invoice ${stored.number} written to ${options.output}`, {
        number: stored.number,
        output: options.output,
        bytes: stored.pdf.length,
        sha256: stored.sha256,
      });
    });
  });
}
