import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { messages } from '@rotki-premium/protocol';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/server-process.ts';
import { findAccountByUsername } from '../packages/server/src/domain/accounts.ts';
import { totpCode } from '../packages/server/src/domain/second-factor/totp.ts';
import { expireSubscription } from '../packages/server/src/domain/subscriptions.ts';
import { enqueueMail } from '../packages/server/src/domain/mail/queue.ts';
import { recordOperatorPayment } from '../packages/server/src/domain/payments/manual.ts';
import { enableTotp, startTotpEnrolment } from '../packages/server/src/domain/second-factor/subscriber-totp.ts';
import { storeEventOnce } from '../packages/server/src/domain/payments/provider-events.ts';
import { ADMIN_CSP } from '../packages/server/src/http/routes/admin-site.ts';
import { uploadAsRotki } from '../packages/server/test/support/backup-wire.ts';
import { call, ENDPOINTS } from '../packages/server/test/support/rotki-app.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser.ts';
import { startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

const CONSOLE_DIST = join(REPO_ROOT, 'packages/admin/dist/index.html');

function ensureConsoleBuilt(): void {
  if (existsSync(CONSOLE_DIST)) return;
  const result = spawnSync('npm', ['run', 'build', '-w', '@rotki-premium/admin'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build -w @rotki-premium/admin failed');
}

interface OperatorLogin {
  username: string;
  password: string;
  secret?: string;
}

/** Signs in through the page: password, then the authenticator code (setting it up on the first sign-in). */
async function signIn(page: Page, baseUrl: string, who: OperatorLogin): Promise<void> {
  await page.goto(`${baseUrl}/admin/sign-in`);
  await page.getByLabel('Operator name').fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Code').waitFor();
  if (who.secret === undefined) who.secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  await page.getByLabel('Code').fill(totpCode(who.secret, Date.now()));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('operator-name').waitFor();
}

describe('the operator console in Chromium', () => {
  let site: Site;
  let browser: Browser;
  let widths: Widths;
  const admin: OperatorLogin = { username: 'console_ada', password: '' };
  const support: OperatorLogin = { username: 'console_sam', password: '' };

  beforeAll(async () => {
    ensureConsoleBuilt();
    site = await startSite();
    for (const [who, role] of [[admin, 'admin'], [support, 'support']] as const) {
      const created = await site.server.admin(['admin', 'operator', 'create', '--username', who.username, '--email', `${role}@ops.example`, '--role', role]);
      who.password = String(created.password);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    widths = await openWidths(browser, { baseURL: site.server.url });
  });
  afterAll(async () => {
    await widths?.close();
    await browser?.close();
    await site?.close();
  });

  it('signs in with 2FA, finds a customer by API-key prefix, grants 12 months the app sees, suspends with a message the app shows', async () => {
    const url = site.server.url;
    const who = await site.domain.createSubscriber('Basic');
    const account = await findAccountByUsername(site.domain.ctx, who.username);
    await expireSubscription(site.domain.ctx, account!.id);
    expect((await call(url, who, ENDPOINTS.limits)).status).toBe(403);

    const desktop = widths.all[1]!.page;
    // The console's own policy, and nothing on its pages runs against it.
    const violations: string[] = [];
    for (const { page } of widths.all) page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violations.push(message.text());
    });
    const served = await desktop.goto(`${url}/admin/sign-in`);
    expect(served?.headers()['content-security-policy']).toBe(ADMIN_CSP);
    expect(ADMIN_CSP).toContain("script-src 'self'");
    expect(ADMIN_CSP).not.toContain('unsafe-inline');
    await checkPageState(widths, 'console: sign-in', async (page) => {
      await page.goto(`${url}/admin`);
      await page.waitForURL(/\/admin\/sign-in/);
      await page.getByLabel('Operator name').waitFor();
    });
    // Phone width signs in with the next 30-second code; the desktop with the current one.
    await signIn(desktop, url, admin);
    const phone = widths.all[0]!.page;
    await phone.goto(`${url}/admin/sign-in`);
    await phone.getByLabel('Operator name').fill(admin.username);
    await phone.getByLabel('Password', { exact: true }).fill(admin.password);
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.getByLabel('Code').fill(totpCode(admin.secret!, Date.now() + 30_000));
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByTestId('operator-name').waitFor();

    await checkPageState(widths, 'console: dashboard', async (page) => {
      await page.goto(`${url}/admin`);
      await page.getByTestId('figures').waitFor();
    });

    // Find by API-key prefix and open the customer.
    await desktop.goto(`${url}/admin/customers`);
    await desktop.getByLabel('Username, e-mail, API-key prefix or device id').fill(who.apiKey.slice(0, 12));
    await desktop.getByRole('button', { name: 'Search' }).click();
    const results = desktop.getByTestId('customer-results');
    await results.waitFor();
    expect(await results.textContent()).toContain('API key');
    await results.getByRole('link', { name: who.username }).click();
    await desktop.getByTestId('subscription-state').waitFor();

    // Grant 12 months: the subscriber's app sees premium again at its next check.
    await desktop.getByLabel('Tier', { exact: true }).fill('Advanced');
    await desktop.getByLabel('Months').fill('12');
    await desktop.getByRole('button', { name: 'Grant' }).click();
    await desktop.getByTestId('action-notice').waitFor();
    const end = new Date();
    end.setUTCMonth(end.getUTCMonth() + 12);
    expect(await desktop.getByTestId('subscription-state').textContent()).toContain(`active until ${end.toISOString().slice(0, 10)}`);
    const limits = await call(url, who, ENDPOINTS.limits);
    expect(limits.status).toBe(200);
    expect((limits.json as { current_tier: string }).current_tier).toBe('Advanced');

    await checkPageState(widths, 'console: customer page', async (page) => {
      await page.goto(`${url}/admin/customers/${account!.id}`);
      await page.getByTestId('subscription-state').waitFor();
    });

    // Suspend: the app is told so, in the rotki app's error shape.
    await desktop.goto(`${url}/admin/customers/${account!.id}`);
    await desktop.getByLabel('Reason for suspending').fill('charge-back');
    await desktop.getByRole('button', { name: 'Suspend' }).click();
    await desktop.getByTestId('suspended').waitFor();
    for (const endpoint of [ENDPOINTS.limits, ENDPOINTS.lastDataMetadata]) {
      const refused = await call(url, who, endpoint);
      expect(refused.json).toEqual({ error: messages.accountSuspended(), code: 'account_suspended' });
    }
    expect(await desktop.getByTestId('customer-audit').textContent()).toContain(admin.username);
    expect(violations).toEqual([]);
  });

  it('shows payment events with their outcome and replays one; shows the mail outbox and retries a failed mail', async () => {
    const url = site.server.url;
    const { ctx } = site.domain;
    const eventId = `evt_e2e_${Date.now()}`;
    const payload = JSON.stringify({ id: eventId, object: 'event', type: 'customer.created', created: 1_700_000_000, data: { object: {} } });
    await storeEventOnce(ctx, { provider: 'stripe', eventId, type: 'customer.created', payload, occurredAt: Date.now() });
    const mailId = await enqueueMail(ctx.store.db, ctx.clock, { to: 'e2e-mail@example.com', template: 'security-notice', data: { username: 'e2e', event: 'password_changed' } });
    await ctx.store.db.updateTable('mail_queue').set({ status: 'failed', attempts: 8, last_error: 'connection refused' }).where('id', '=', mailId).execute();

    await checkPageState(widths, 'console: payment events', async (page) => {
      await page.goto(`${url}/admin/events`);
      await page.getByTestId(`event-${eventId}`).waitFor();
    });
    const desktop = widths.all[1]!.page;
    const row = desktop.getByTestId(`event-${eventId}`);
    expect(await row.textContent()).toContain('received');
    await row.getByRole('button', { name: `Replay ${eventId}` }).click();
    await desktop.getByTestId('action-notice').waitFor();
    expect(await desktop.getByTestId('action-notice').textContent()).toContain('ignored');
    expect(await row.textContent()).toContain('customer.created is not an event this server acts on');

    await checkPageState(widths, 'console: mail outbox', async (page) => {
      await page.goto(`${url}/admin/mail`);
      await page.getByTestId(`mail-${mailId}`).waitFor();
    });
    const mail = desktop.getByTestId(`mail-${mailId}`);
    expect(await mail.textContent()).toContain('connection refused');
    await mail.getByRole('button', { name: `Retry mail ${mailId}` }).click();
    await desktop.getByTestId('action-notice').waitFor();
    expect(await mail.textContent()).toContain('pending');
  });

  it('records a refund, and sends a password reset, resets two-factor, deletes the backups and the account, each confirmed in a dialog', async () => {
    const url = site.server.url;
    const { ctx } = site.domain;
    const who = await site.domain.createSubscriber('Basic');
    const account = (await findAccountByUsername(ctx, who.username))!;
    await recordOperatorPayment(ctx, { accountId: account.id, amountMinor: 12_000, reference: `e2e-bank-${Date.now()}`, tierName: 'Basic', period: 'yearly' });
    const { secret } = await startTotpEnrolment(ctx, account.id);
    await enableTotp(ctx, account.id, totpCode(secret, Date.now()), null);
    expect((await uploadAsRotki(url, who, randomBytes(2048), { chunkSize: 2048 })).at(-1)?.status).toBe(200);
    const customerPage = `${url}/admin/customers/${account.id}`;
    const desktop = widths.all[1]!.page;
    const confirm = async (notice: string) => {
      await desktop.getByRole('dialog').getByTestId('confirm-dialog-confirm').click();
      await desktop.getByTestId('action-notice').filter({ hasText: notice }).waitFor();
    };

    await checkPageState(widths, 'console: refund dialog', async (page) => {
      await page.goto(customerPage);
      await page.getByLabel('Payment to refund').selectOption({ index: 1 });
      await page.getByLabel('Amount refunded').fill('30');
      await page.getByLabel('Reason for the refund').fill('Price error on the invoice');
      await page.getByRole('button', { name: 'Record refund' }).click();
      await page.getByRole('dialog').waitFor();
    });
    await confirm('Refund of');
    const refunds = desktop.getByTestId('customer-refunds');
    expect(await refunds.textContent()).toContain('Price error on the invoice');
    expect(await refunds.textContent()).toContain(admin.username);
    expect(await desktop.getByTestId('customer-payments').textContent()).toMatch(/30\.00/);
    await checkPageState(widths, 'console: customer page with a refund', async (page) => {
      await page.goto(customerPage);
      await page.getByTestId('customer-refunds').waitFor();
    });

    const steps = [
      { button: 'Send password reset', notice: 'Password reset link sent' },
      { button: 'Reset two-factor', notice: 'Two-factor sign-in reset' },
      { button: 'Delete backups', notice: 'Backups deleted' },
    ];
    for (const step of steps) {
      await checkPageState(widths, `console: ${step.button.toLowerCase()} dialog`, async (page) => {
        await page.goto(customerPage);
        await page.getByRole('button', { name: step.button }).click();
        await page.getByRole('dialog').waitFor();
      });
      await confirm(step.notice);
    }
    const resetMail = await ctx.store.db.selectFrom('mail_queue').select('id').where('recipient', '=', `${who.username}@example.com`).where('template', '=', 'password-reset').execute();
    expect(resetMail).toHaveLength(1);
    expect(await desktop.getByTestId('second-factors').textContent()).toContain('none');
    expect((await call(url, who, ENDPOINTS.lastDataMetadata)).json).toMatchObject({ data_size: 0 });

    // A running subscription is ended first; then the account goes.
    await desktop.getByRole('button', { name: 'End now' }).click();
    await desktop.getByTestId('action-notice').filter({ hasText: 'Subscription ended now' }).waitFor();
    await checkPageState(widths, 'console: delete account dialog', async (page) => {
      await page.goto(customerPage);
      await page.getByRole('button', { name: 'Delete account' }).click();
      await page.getByRole('dialog').waitFor();
    });
    await confirm('deleted');
    expect(((await call(url, who, ENDPOINTS.limits)).json as { code: string }).code).toBe('unknown_api_key');
    await checkPageState(widths, 'console: deleted customer', async (page) => {
      await page.goto(customerPage);
      await page.getByTestId('deleted').waitFor();
    });
    expect(await desktop.getByTestId('customer-audit').textContent()).toContain('account.deleted');
  }, 600_000);

  it('does not let the support role open Tiers and prices', async () => {
    const url = site.server.url;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await signIn(page, url, support);
      expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tiers and prices' }).count()).toBe(0);
      await page.goto(`${url}/admin/tiers`);
      await page.getByTestId('tiers-forbidden').waitFor();
      const api = await page.evaluate(`fetch('/admin/api/tiers').then((r) => r.status)`);
      expect(api).toBe(403);
    } finally {
      await context.close();
    }
  });
});
