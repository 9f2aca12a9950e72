import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BILLING_PATHS,
  CryptoTxResponse,
  OrderResponse,
  PaymentsResponse,
  cryptoQuoteUrl,
  cryptoTxUrl,
  orderUrl,
  type CryptoQuote,
} from '@rotki-premium/protocol/billing-api';
import { getAddress, type Address } from 'viem';
import { AccountResponse, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { EvmNode, HARDHAT_CHAIN_ID } from '../../../test-support/evm-node.ts';
import { HttpWebSession } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';

const HOOK_TIMEOUT_MS = 240_000;
const CONFIRMATIONS = 3;

interface Buyer {
  web: HttpWebSession;
  reference: string;
  quote: CryptoQuote;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

for (const dialect of DIALECTS) {
  describe(`crypto payments on an EVM node (${dialect})`, { timeout: 120_000 }, () => {
    let node: EvmNode;
    let token: Address;
    let receiving: Address;
    let storage: TestStorage;
    let server: ServerHandle;
    let second: ServerHandle;
    let domain: ServerContext;
    let scratch: string;
    let env: NodeJS.ProcessEnv;
    let counter = 0;

    async function order(buyer: Buyer, web = buyer.web): Promise<OrderResponse> {
      return OrderResponse.parse((await web.request('GET', orderUrl(buyer.reference))).json);
    }

    /** Signs up, orders Basic yearly in crypto and gets a quote in `tokenKey` on the node's chain. */
    async function buy(tokenKey: string, base = server): Promise<Buyer> {
      counter += 1;
      const web = new HttpWebSession(base.url);
      const name = `evm${dialect}${counter}x${Date.now() % 100_000}`;
      expect((await web.signUp(name)).status).toBe(200);
      // Buying waits for a confirmed address: the link from the server's outbox.
      expect((await web.confirmEmailFromOutbox(base.dataDir, `${name}@example.com`)).status).toBe(200);
      const placed = await web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'crypto' });
      expect(placed.status).toBe(201);
      const { reference, crypto } = OrderResponse.parse(placed.json);
      expect(crypto?.options.map((o) => o.symbol)).toEqual(['tEUR', 'ETH']);
      const quoted = await web.request('POST', cryptoQuoteUrl(reference), { chainId: HARDHAT_CHAIN_ID, token: tokenKey });
      expect(quoted.status).toBe(201);
      const quote = OrderResponse.parse(quoted.json).crypto?.quote;
      if (quote === null || quote === undefined) throw new Error('no quote');
      return { web, reference, quote };
    }

    async function paymentsOf(buyer: Buyer) {
      return PaymentsResponse.parse((await buyer.web.request('GET', BILLING_PATHS.payments)).json).payments;
    }

    async function paidOrder(buyer: Buyer): Promise<OrderResponse> {
      return until('the order to be paid', async () => {
        const current = await order(buyer);
        return current.status === 'paid' ? current : null;
      });
    }

    async function paymentRows(txHash: string) {
      return domain.ctx.store.db.selectFrom('payments').selectAll().where('provider', '=', 'evm').where('provider_payment_id', 'like', `${HARDHAT_CHAIN_ID}:${txHash}:%`).execute();
    }

    async function invoiceCount(): Promise<number> {
      const row = await domain.ctx.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    }

    async function startInstance(): Promise<ServerHandle> {
      return startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env });
    }

    beforeAll(async () => {
      node = await EvmNode.start();
      receiving = node.accounts[9] as Address;
      token = await node.deployToken('tEUR', 6, 10n ** 15n);
      for (const account of [1, 2, 3]) await node.fund(token, account, 10n ** 12n);
      storage = await createTestStorage(dialect);
      scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-evm-'));
      const config = join(scratch, 'billing.json');
      writeFileSync(
        config,
        JSON.stringify({
          currency: 'EUR',
          seller: { name: 'Example Operator GmbH', country: 'DE' },
          vat: { rates: { DE: 19 }, defaultRate: 19 },
          crypto: {
            pollSeconds: 0.5,
            chains: [
              {
                chainId: HARDHAT_CHAIN_ID,
                name: 'Hardhat',
                rpcUrl: node.url,
                receivingAddress: receiving,
                confirmations: CONFIRMATIONS,
                tokens: [
                  { symbol: 'tEUR', address: token, decimals: 6, stable: true },
                  { symbol: 'ETH', decimals: 18, rate: '3000.00' },
                ],
              },
            ],
          },
        }),
      );
      env = { ROTKI_PREMIUM_BILLING_CONFIG: config };
      server = await startInstance();
      // A second instance on the same database and node, as behind a load balancer.
      second = await startInstance();
      domain = await openServerContext({ ...server, env });
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      await domain?.close();
      await second?.stop();
      await server?.stop();
      await node?.stop();
      await storage?.cleanup();
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    it('quotes the total with a unique tail, an EIP-681 link and a QR code', async () => {
      const [a, b] = [await buy(token), await buy(token)];
      // Basic yearly: €180 + 19 % VAT = €214.20 → 214.20 tEUR and a tail below one cent.
      for (const { quote } of [a, b]) {
        expect(BigInt(quote.amount) / 10_000n).toBe(21_420n);
        expect(BigInt(quote.amount) % 10_000n).toBeGreaterThan(0n);
        expect(quote.uri).toBe(`ethereum:${getAddress(token)}@${HARDHAT_CHAIN_ID}/transfer?address=${getAddress(receiving)}&uint256=${quote.amount}`);
        expect(quote.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
        expect(quote.confirmationsRequired).toBe(CONFIRMATIONS);
        expect(quote.expired).toBe(false);
      }
      expect(a.quote.amount).not.toBe(b.quote.amount);
      const eth = (await buy('native')).quote;
      // €214.20 at €3000 per ETH = 0.0714 ETH, plus a tail worth less than a cent.
      expect(eth.uri).toBe(`ethereum:${getAddress(receiving)}@${HARDHAT_CHAIN_ID}?value=${eth.amount}`);
      expect(BigInt(eth.amount) - 71_400_000_000_000_000n).toBeGreaterThan(0n);
      expect(BigInt(eth.amount) - 71_400_000_000_000_000n).toBeLessThan(10n ** 13n);
      const refused = await a.web.request('POST', cryptoQuoteUrl(a.reference), { chainId: 1, token: 'native' });
      expect(refused.status).toBe(400);
    });

    it('activates an exact ERC-20 payment after the confirmations, once, with one invoice', async () => {
      const buyer = await buy(token);
      const invoicesBefore = await invoiceCount();
      const tx = await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      const seen = await until('the sighting', async () => (await order(buyer)).crypto?.quote?.seen ?? null);
      expect(seen.txHash).toBe(tx.toLowerCase());
      expect((await order(buyer)).status).toBe('pending');
      await node.mine(CONFIRMATIONS);
      await paidOrder(buyer);
      const payments = await paymentsOf(buyer);
      expect(payments).toHaveLength(1);
      expect(payments[0]).toMatchObject({ status: 'credited', amountMinor: 21_420, method: 'tEUR on Hardhat', reference: tx.toLowerCase() });
      expect(payments[0]?.invoiceNumber).toMatch(/^INV-/);
      // Both instances watch; the pasted hash on either changes nothing more.
      const pasted = await Promise.all([server, second].map(async () => buyer.web.request('POST', cryptoTxUrl(buyer.reference), { txHash: tx })));
      expect(pasted.map((r) => CryptoTxResponse.parse(r.json).status)).toEqual(['credited', 'credited']);
      expect(await paymentRows(tx.toLowerCase())).toHaveLength(1);
      expect(await invoiceCount()).toBe(invoicesBefore + 1);
      const account = AccountResponse.parse((await buyer.web.request('GET', WEB_API_PATHS.account)).json);
      expect(account.subscription).toMatchObject({ tier: { name: 'Basic' }, status: 'active', provider: 'evm', billingPeriod: 'yearly' });
    });

    it('activates a native payment valued at the operator-set rate', async () => {
      const buyer = await buy('native');
      await node.payNative(receiving, BigInt(buyer.quote.amount), 2);
      await node.mine(CONFIRMATIONS);
      await paidOrder(buyer);
      expect((await paymentsOf(buyer))[0]).toMatchObject({ status: 'credited', amountMinor: 21_420, method: 'ETH on Hardhat' });
    });

    it('credits more than asked with a note, and keeps less than asked for the operator', async () => {
      const over = await buy(token);
      const under = await buy(token);
      // The tail stays: it names the quote even though the amount is off.
      await node.payToken(token, receiving, BigInt(over.quote.amount) + 5_000_000n);
      await node.payToken(token, receiving, BigInt(under.quote.amount) - 14_000_000n, 2);
      await node.mine(CONFIRMATIONS);
      await paidOrder(over);
      expect((await paymentsOf(over))[0]).toMatchObject({ status: 'credited', amountMinor: 21_420 });
      expect((await paymentsOf(over))[0]?.note).toMatch(/^overpaid: /);
      const held = await until('the underpayment', async () => (await paymentsOf(under))[0]);
      expect(held).toMatchObject({ status: 'flagged', invoiceNumber: null, amountMinor: 20_020 });
      expect(held.note).toMatch(/^underpaid: 200\.2\d* tEUR of 214\.2\d* tEUR$/);
      expect((await order(under)).status).toBe('pending');
      const listed = await server.admin(['admin', 'payment', 'list', '--attention']);
      expect(JSON.stringify(listed)).toContain('underpaid');
    });

    it('keeps a duplicated payment and money for no quote for the operator, never crediting twice', async () => {
      const buyer = await buy(token);
      await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      await node.mine(CONFIRMATIONS);
      await paidOrder(buyer);
      const again = await node.payToken(token, receiving, BigInt(buyer.quote.amount), 3);
      const stray = await node.payToken(token, receiving, 1_234_567n, 3);
      await node.mine(CONFIRMATIONS);
      const duplicate = await until('the duplicate', async () => (await paymentRows(again.toLowerCase()))[0]);
      expect(duplicate).toMatchObject({ status: 'flagged' });
      expect(duplicate.flag_reason).toMatch(/already paid/);
      const unmatched = await until('the stray payment', async () => (await paymentRows(stray.toLowerCase()))[0]);
      expect(unmatched).toMatchObject({ status: 'flagged', account_id: null, order_id: null });
      expect(unmatched.flag_reason).toBe('no quote asks for 1.234567 tEUR');
      expect((await paymentsOf(buyer)).filter((p) => p.status === 'credited')).toHaveLength(1);
    });

    it('pays two orders in one transaction: one payment per log', async () => {
      const [a, b] = [await buy(token), await buy(token)];
      const tx = await node.payTokenBatch(token, [
        { to: receiving, amount: BigInt(a.quote.amount) },
        { to: receiving, amount: BigInt(b.quote.amount) },
      ]);
      await node.mine(CONFIRMATIONS);
      await Promise.all([paidOrder(a), paidOrder(b)]);
      const keys = (await paymentRows(tx.toLowerCase())).map((p) => p.provider_payment_id).sort();
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(2);
    });

    it('answers a pasted transaction hash: pending before the confirmations, not found, not this order', async () => {
      const buyer = await buy(token);
      const other = await buy(token);
      const tx = await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      const early = CryptoTxResponse.parse((await buyer.web.request('POST', cryptoTxUrl(buyer.reference), { txHash: tx })).json);
      expect(early.status).toBe('pending');
      expect(early.order.crypto?.quote?.seen?.txHash).toBe(tx.toLowerCase());
      const unknown = await buyer.web.request('POST', cryptoTxUrl(buyer.reference), { txHash: `0x${'ab'.repeat(32)}` });
      expect(CryptoTxResponse.parse(unknown.json).status).toBe('not_found');
      const foreign = await other.web.request('POST', cryptoTxUrl(other.reference), { txHash: tx });
      expect(CryptoTxResponse.parse(foreign.json).status).toBe('not_this_order');
      const malformed = await buyer.web.request('POST', cryptoTxUrl(buyer.reference), { txHash: '0x1234' });
      expect(malformed.status).toBe(400);
      const stranger = await other.web.request('POST', cryptoTxUrl(buyer.reference), { txHash: tx });
      expect(stranger.status).toBe(404);
      await node.mine(CONFIRMATIONS);
      await paidOrder(buyer);
      expect((await order(other)).status).toBe('pending');
    });

    it('forgets a payment whose block is reorganised away before the confirmations', async () => {
      const buyer = await buy(token);
      const snapshot = await node.snapshot();
      const tx = await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      await until('the sighting', async () => (await order(buyer)).crypto?.quote?.seen ?? null);
      await node.revert(snapshot);
      await node.mine(CONFIRMATIONS + 2);
      await until('the sighting to go', async () => (await order(buyer)).crypto?.quote?.seen === null);
      const head = await node.head();
      await until('the scan to pass the old block', async () => {
        const cursor = await domain.ctx.store.db.selectFrom('chain_cursors').select('scanned_to').executeTakeFirst();
        return Number(cursor?.scanned_to ?? 0) >= Number(head) - CONFIRMATIONS;
      });
      expect(await paymentRows(tx.toLowerCase())).toHaveLength(0);
      expect((await order(buyer)).status).toBe('pending');
      // Paid again on the chain as it now is: credited.
      await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      await node.mine(CONFIRMATIONS);
      await paidOrder(buyer);
    });

    it('finds payments made while no instance ran, from where the scan stopped', async () => {
      const buyer = await buy(token);
      await second.stop();
      await server.stop();
      const tx = await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      await node.mine(CONFIRMATIONS + 10);
      server = await startInstance();
      second = await startInstance();
      buyer.web = new HttpWebSession(server.url);
      const paid = await until('the payment', async () => {
        const rows = await paymentRows(tx.toLowerCase());
        return rows[0]?.status === 'credited' ? rows : null;
      });
      expect(paid).toHaveLength(1);
    });

    it('credits a stablecoin payment made after the quote expired, with a note', async () => {
      const buyer = await buy(token);
      await node.setNextBlockTime(Date.parse(buyer.quote.expiresAt) + 5 * 60_000);
      const tx = await node.payToken(token, receiving, BigInt(buyer.quote.amount));
      await node.mine(CONFIRMATIONS);
      const row = await until('the late payment', async () => (await paymentRows(tx.toLowerCase()))[0]);
      expect(row.status).toBe('credited');
      expect(row.flag_reason).toMatch(/^paid \d+ min after the quote expired$/);
    });
  });
}
