/**
 * Takes the operator console's screenshots of the README: a throwaway server on
 * a temp folder with a few subscribers, a payment partly refunded, a webhook event and a failed
 * mail; an admin operator signs in through the page (password, then the code of
 * the authenticator set up there) and Debian's Chromium saves
 * docs/images/console-dashboard.png, console-customer.png, console-tiers.png,
 * console-events.png and console-mail.png.
 *
 *   npx tsx scripts/console-screenshots.ts            # builds the console first
 *   npx tsx scripts/console-screenshots.ts --no-build # uses packages/admin/dist as it is
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { buildConfig } from '../packages/server/src/config/config.ts';
import { createAccount } from '../packages/server/src/domain/accounts.ts';
import { createCredentials } from '../packages/server/src/domain/credentials.ts';
import { registerDevice } from '../packages/server/src/domain/devices.ts';
import { enqueueMail } from '../packages/server/src/domain/mail/queue.ts';
import { createOperator } from '../packages/server/src/domain/operators/operators.ts';
import { totpCode } from '../packages/server/src/domain/second-factor/totp.ts';
import { recordOperatorPayment } from '../packages/server/src/domain/payments/manual.ts';
import { recordRefund } from '../packages/server/src/domain/payments/refunds.ts';
import { storeEventOnce } from '../packages/server/src/domain/payments/provider-events.ts';
import { grantSubscription } from '../packages/server/src/domain/subscriptions.ts';
import { createLogger } from '../packages/server/src/logger.ts';
import { startServer } from '../packages/server/src/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const IMAGES = join(ROOT, 'docs/images');

function buildConsole(): void {
  if (process.argv.includes('--no-build')) return;
  const result = spawnSync('npm', ['run', 'build', '-w', '@rotki-premium/admin'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build -w @rotki-premium/admin failed');
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true });
  process.stdout.write(`Saved ${join(IMAGES, `${name}.png`)}\n`);
}

async function main(): Promise<void> {
  buildConsole();
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-console-screenshots-'));
  const config = buildConfig({ dataDir, port: 0, logLevel: 'warn' });
  const server = await startServer(config, { masterKey: undefined }, createLogger('warn'));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const { ctx } = server;
    const customers = [
      ['satoshi', 'Basic', 12],
      ['hal', 'Advanced', 1],
      ['nakamoto', 'Basic', 1],
      ['ada', 'Supporter', 12],
    ] as const;
    let first = 0;
    for (const [username, tier, months] of customers) {
      const account = await createAccount(ctx, { username, email: `${username}@example.com`, password: 'correct horse battery' });
      if (first === 0) first = account.id;
      const subscription = await grantSubscription(ctx, account.id, tier, months);
      await createCredentials(ctx, account.id, { via: 'cli' });
      const owner = { accountId: account.id, username, deviceLimit: subscription.tier.deviceLimit, tierName: subscription.tier.name };
      await registerDevice(ctx, owner, { identifier: `${username}-laptop`.padEnd(64, '0'), name: 'Work laptop', platform: 'Linux' });
    }
    await recordOperatorPayment(ctx, { accountId: first, amountMinor: 1800, reference: 'BANK-2026-0042', tierName: 'Basic', period: 'monthly' });
    const payment = await ctx.store.db.selectFrom('payments').select('id').where('account_id', '=', first).executeTakeFirstOrThrow();
    await recordRefund(ctx, { accountId: first, paymentId: Number(payment.id), amountMinor: 300, reason: 'Charged the old price by mistake' });
    const payload = JSON.stringify({ id: 'evt_1QdemoCheckout', object: 'event', type: 'customer.created', created: 1_764_000_000, data: { object: {} } });
    await storeEventOnce(ctx, { provider: 'stripe', eventId: 'evt_1QdemoCheckout', type: 'customer.created', payload, occurredAt: Date.now() });
    const mailId = await enqueueMail(ctx.store.db, ctx.clock, { to: 'hal@example.com', template: 'security-notice', data: { username: 'hal', event: 'password_changed' } });
    await ctx.store.db.updateTable('mail_queue').set({ status: 'failed', attempts: 8, last_error: 'connect ECONNREFUSED 10.0.0.25:587' }).where('id', '=', mailId).execute();
    const { password } = await createOperator(ctx, { username: 'ops', email: 'ops@example.com', role: 'admin' });

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin/sign-in`);
    await page.getByLabel('Operator name').fill('ops');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    await page.getByLabel('Code').fill(totpCode(secret, Date.now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('operator-name').waitFor();

    mkdirSync(IMAGES, { recursive: true });
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('figures').waitFor();
    await page.waitForTimeout(1000); // the charts' entry animation
    await shoot(page, 'console-dashboard');
    await page.goto(`${server.url}/admin/customers/${first}`);
    await page.getByTestId('subscription-state').waitFor();
    await page.getByTestId('customer-refunds').waitFor();
    await shoot(page, 'console-customer');
    await page.goto(`${server.url}/admin/tiers`);
    await page.getByRole('heading', { name: 'Tiers and prices' }).waitFor();
    await shoot(page, 'console-tiers');
    await page.goto(`${server.url}/admin/events`);
    await page.getByTestId('event-evt_1QdemoCheckout').waitFor();
    await shoot(page, 'console-events');
    await page.goto(`${server.url}/admin/mail`);
    await page.getByTestId(`mail-${mailId}`).waitFor();
    await shoot(page, 'console-mail');
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
