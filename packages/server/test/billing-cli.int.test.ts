import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserLimits } from '@rotki-premium/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { pngSize, readPdf } from '../../../test-support/pdf.ts';
import { createTestStorage, runCli, startServer, type CliResult, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { call, ENDPOINTS } from './support/rotki-app.ts';

const BILLING = {
  currency: 'EUR',
  seller: { name: 'Example Operator GmbH', address: ['Hauptstraße 1', '10115 Berlin'], country: 'DE', vatId: 'DE123456789' },
  vat: { rates: { DE: 19 }, defaultRate: 19 },
  bankTransfer: { instructions: 'IBAN DE00 0000 0000 0000 0000 00' },
};

function json(result: CliResult): Record<string, unknown> {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}

/** Starting a server and hashing passwords on a loaded machine can take a while. */
const HOOK_TIMEOUT_MS = 180_000;

for (const dialect of DIALECTS) {
  // Each step runs the admin command line as its own process, as an operator would.
  describe(`operator-recorded payments and invoices (${dialect})`, { timeout: 180_000 }, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let scratch: string;
    const username = `buyer${dialect}${Date.now() % 100_000}`;
    const cli = (...args: string[]) => runCli(args, server.env);

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-billing-'));
      const config = join(scratch, 'billing.json');
      writeFileSync(config, JSON.stringify(BILLING));
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ROTKI_PREMIUM_BILLING_CONFIG: config } });
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await server?.stop();
      await storage?.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    it('lists the prices and changes one for new periods', async () => {
      expect(json(await cli('admin', 'tiers', 'set-price', '--tier', 'basic', '--period', 'yearly', '--amount', '200', '--json'))).toEqual({
        tier: 'Basic',
        period: 'yearly',
        currency: 'EUR',
        amount_minor: 20_000,
      });
      const after = json(await cli('admin', 'tiers', 'list', '--json')) as { tiers: Record<string, unknown>[] };
      // The default monthly price stays; the yearly one is new.
      expect(after.tiers[1]).toMatchObject({ name: 'Basic', currency: 'EUR', monthly_price_minor: 1_800, yearly_price_minor: 20_000 });
      const bad = await cli('admin', 'tiers', 'set-price', '--tier', 'Basic', '--period', 'weekly', '--amount', '2');
      expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: 'error: Period must be "monthly" or "yearly", got "weekly"\n' });
      const cents = await cli('admin', 'tiers', 'set-price', '--tier', 'Basic', '--period', 'yearly', '--amount', '1.234');
      expect(cents.stderr).toBe('error: --amount must be an amount in EUR such as 18.00, got "1.234"\n');
    });

    it('records a bank transfer once: subscription, payment, invoice — and the app gets premium', async () => {
      json(await cli('admin', 'account', 'create', '--username', username, '--email', `${username}@example.com`, '--password', 'correct horse battery', '--json'));
      const missing = await cli('admin', 'payment', 'record', '--username', username, '--amount', '238.00', '--reference', 'BANK-1');
      expect({ code: missing.code, stderr: missing.stderr }).toEqual({
        code: 2,
        stderr: 'error: No order of this account has the reference "BANK-1": name the plan with --tier and --period\n',
      });

      const recorded = json(
        await cli('admin', 'payment', 'record', '--username', username, '--amount', '238.00', '--reference', 'BANK-1', '--tier', 'Basic', '--period', 'yearly', '--json'),
      );
      expect(recorded).toMatchObject({ username, status: 'credited', invoice: 'INV-000001' });
      const again = json(
        await cli('admin', 'payment', 'record', '--username', username, '--amount', '238.00', '--reference', 'BANK-1', '--tier', 'Basic', '--period', 'yearly', '--json'),
      );
      expect(again).toMatchObject({ status: 'duplicate', payment_id: recorded.payment_id });

      const { payments } = json(await cli('admin', 'payment', 'list', '--username', username, '--json')) as { payments: Record<string, unknown>[] };
      expect(payments).toHaveLength(1);
      expect(payments[0]).toMatchObject({ provider: 'manual', amount_minor: 23_800, status: 'credited', invoice: 'INV-000001', reference: 'BANK-1' });

      // The same subscription the rotki app checks.
      const credentials = json(await cli('admin', 'credentials', 'create', '--username', username, '--json'));
      const limits = await call(server.url, { apiKey: String(credentials.api_key), apiSecret: String(credentials.api_secret) }, ENDPOINTS.limits);
      expect(limits.status).toBe(200);
      expect(UserLimits.parse(limits.json).current_tier).toBe('Basic');
    });

    it('writes the invoice PDF: number, seller, buyer, net, VAT and total as printed', async () => {
      const output = join(scratch, 'invoice.pdf');
      const written = json(await cli('admin', 'invoice', 'get', '--number', 'INV-000001', '--output', output, '--json'));
      expect(written).toMatchObject({ number: 'INV-000001' });
      const { text, png } = readPdf(readFileSync(output));
      expect(text).toContain('Invoice number: INV-000001');
      expect(text).toContain('Example Operator GmbH');
      expect(text).toContain(`${username}@example.com`);
      expect(text).toMatch(/Net\s+€200\.00/);
      expect(text).toMatch(/VAT 19 %\s+€38\.00/);
      expect(text).toMatch(/Total\s+€238\.00/);
      expect(text).toContain('Reference: BANK-1');
      // One A4 page (297 × 210 mm) at 50 dpi.
      const { width, height } = pngSize(png);
      expect(height).toBe(585);
      expect(Math.abs(height / width - 297 / 210)).toBeLessThan(0.01);
      const unknown = await cli('admin', 'invoice', 'get', '--number', 'INV-999999', '--output', output);
      expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({ code: 2, stderr: 'error: No invoice INV-999999\n' });
    });
  });
}
