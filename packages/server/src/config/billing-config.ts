import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { currencyDigits, isCurrencyCode, parseUnits } from '../domain/billing/money.ts';
import { DAY_MS, DEFAULT_BILLING, type BillingSettings, type EvmChain } from '../domain/billing/settings.ts';

/**
 * The billing configuration file (`--billing-config`, JSON): currency, seller,
 * VAT, payment methods and chains. The Stripe keys are secrets and come from
 * the environment only. Every mistake fails the start with the field named.
 */

const Country = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'a two-letter country code')
  .transform((c) => c.toUpperCase());

/** "19" or "7.7" percent → basis points. */
const Percent = z
  .union([z.number(), z.string()])
  .transform((value, issue) => {
    try {
      const bp = Number(parseUnits(String(value), 2));
      if (bp <= 10_000) return bp;
    } catch {
      // reported below
    }
    issue.addIssue({ code: 'custom', message: 'a percentage from 0 to 100 with at most two decimals' });
    return z.NEVER;
  });

/** What viem's `isAddress(…, { strict: false })` accepts; the checksum is applied by `chainsOf`. */
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an EVM address (0x and 40 hex digits)');

const Token = z
  .object({
    symbol: z.string().trim().min(1).max(12),
    /** Omitted for the chain's native coin. */
    address: Address.optional(),
    decimals: z.number().int().min(0).max(36),
    /** One token = one unit of the currency. */
    stable: z.boolean().optional(),
    /** Otherwise: the value of one token in the currency, as a decimal string ("3000.00"). */
    rate: z.string().optional(),
  })
  .refine((t) => (t.stable === true) !== (t.rate !== undefined), 'a token needs either "stable": true or a "rate"');

const Chain = z.object({
  chainId: z.number().int().positive(),
  name: z.string().trim().min(1).max(40),
  rpcUrl: z.string().url(),
  receivingAddress: Address,
  confirmations: z.number().int().min(0).max(1000),
  tokens: z.array(Token).min(1),
});

const BillingFile = z.object({
  currency: z.string().trim().toUpperCase().refine(isCurrencyCode, 'an ISO 4217 currency code').optional(),
  seller: z
    .object({
      name: z.string().trim().min(1).max(200),
      address: z.array(z.string().trim().max(200)).max(8).default([]),
      country: Country,
      vatId: z.string().trim().max(20).optional(),
      email: z.string().trim().email().optional(),
    })
    .optional(),
  vat: z
    .object({
      rates: z.record(Country, Percent).default({}),
      defaultRate: Percent.default(0),
      euReverseCharge: z.boolean().default(true),
    })
    .optional(),
  invoicePrefix: z.string().regex(/^[A-Za-z0-9/_-]{0,16}$/, 'up to 16 letters, digits, / _ or -').optional(),
  gracePeriodDays: z.number().int().min(0).max(90).optional(),
  reminderDays: z.number().int().min(1).max(60).optional(),
  bankTransfer: z.object({ instructions: z.string().trim().min(1).max(2000) }).optional(),
  stripe: z.object({ apiUrl: z.string().url().optional() }).optional(),
  crypto: z
    .object({
      chains: z.array(Chain).min(1),
      /** How often each chain's node is asked for new blocks. */
      pollSeconds: z.number().min(0.2).max(3600).optional(),
    })
    .optional(),
});
type BillingFile = z.infer<typeof BillingFile>;

export interface BillingSecrets {
  stripeSecretKey?: string | undefined;
  stripeWebhookSecret?: string | undefined;
}

/**
 * The chains with their addresses in checksum form. The address library and
 * the currency's digits (Intl) are loaded only when chains are configured:
 * every admin command reads these settings, and both cost tens of milliseconds.
 */
async function chainsOf(file: BillingFile, currency: string): Promise<EvmChain[]> {
  if (file.crypto === undefined) return [];
  const { getAddress } = await import('viem/utils');
  const digits = currencyDigits(currency);
  return file.crypto.chains.map((chain, i) => {
    const ids = file.crypto?.chains.filter((c) => c.chainId === chain.chainId).length ?? 0;
    if (ids > 1) throw new Error(`billing config: chain id ${chain.chainId} appears twice`);
    return {
      chainId: chain.chainId,
      name: chain.name,
      rpcUrl: chain.rpcUrl,
      receivingAddress: getAddress(chain.receivingAddress),
      confirmations: chain.confirmations,
      tokens: chain.tokens.map((token, j) => {
        let minorPerToken = 0;
        if (token.rate !== undefined) {
          try {
            minorPerToken = Number(parseUnits(token.rate, digits));
          } catch (error) {
            throw new Error(`billing config: crypto.chains.${i}.tokens.${j}.rate: ${(error as Error).message}`);
          }
          if (minorPerToken <= 0) throw new Error(`billing config: crypto.chains.${i}.tokens.${j}.rate must be above 0`);
        }
        return {
          symbol: token.symbol,
          address: token.address === undefined ? null : getAddress(token.address),
          decimals: token.decimals,
          price: token.stable === true ? { kind: 'stable' as const } : { kind: 'rate' as const, minorPerToken },
        };
      }),
    };
  });
}

/** Settings from the file's parsed JSON (or none) and the Stripe secrets. */
export async function buildBillingSettings(json: unknown, secrets: BillingSecrets = {}): Promise<BillingSettings> {
  const parsed = BillingFile.safeParse(json ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`billing config: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  const file = parsed.data;
  const currency = file.currency ?? DEFAULT_BILLING.currency;
  const stripeKey = secrets.stripeSecretKey ?? '';
  const webhookSecret = secrets.stripeWebhookSecret ?? '';
  if (file.stripe !== undefined && (stripeKey === '' || webhookSecret === '')) {
    throw new Error('billing config: card payments need ROTKI_PREMIUM_STRIPE_SECRET_KEY and ROTKI_PREMIUM_STRIPE_WEBHOOK_SECRET');
  }
  const chains = await chainsOf(file, currency);
  return Object.freeze({
    currency,
    seller:
      file.seller === undefined
        ? DEFAULT_BILLING.seller
        : { ...file.seller, vatId: file.seller.vatId ?? null, email: file.seller.email ?? null },
    vat: file.vat === undefined ? null : { rates: file.vat.rates, defaultRateBp: file.vat.defaultRate, euReverseCharge: file.vat.euReverseCharge },
    invoicePrefix: file.invoicePrefix ?? DEFAULT_BILLING.invoicePrefix,
    gracePeriodMs: file.gracePeriodDays === undefined ? DEFAULT_BILLING.gracePeriodMs : file.gracePeriodDays * DAY_MS,
    reminderMs: file.reminderDays === undefined ? DEFAULT_BILLING.reminderMs : file.reminderDays * DAY_MS,
    quoteValidityMs: DEFAULT_BILLING.quoteValidityMs,
    bankTransfer: file.bankTransfer ?? null,
    stripe:
      file.stripe === undefined
        ? null
        : { secretKey: stripeKey, webhookSecret, apiUrl: (file.stripe.apiUrl ?? '').replace(/\/+$/, '') },
    evm: chains.length === 0 ? null : { chains, pollMs: Math.round((file.crypto?.pollSeconds ?? 15) * 1000) },
  });
}

/** Reads `--billing-config`; no file: the defaults (euros, no VAT, payments recorded by the operator). */
export async function loadBillingSettings(file: string | undefined, secrets: BillingSecrets): Promise<BillingSettings> {
  if (file === undefined || file === '') return buildBillingSettings({}, secrets);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`billing config ${file}: ${(error as Error).message}`);
  }
  return buildBillingSettings(json, secrets);
}
