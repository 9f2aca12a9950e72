/**
 * Takes the website screenshots of the docs: a throwaway server on a temp
 * folder, an account with a Basic subscription, API credentials and two
 * devices (one stale, one that replaced a stale device), then Debian's Chromium logs in and saves
 * docs/images/subscription.png (credentials revealed), docs/images/devices.png,
 * docs/images/account.png, and at a phone's width (390 px)
 * docs/images/devices-phone.png (one card per device) and
 * docs/images/menu-phone.png (the folded header menu, open).
 *
 *   npx tsx scripts/screenshots.ts            # builds the website first
 *   npx tsx scripts/screenshots.ts --no-build # uses packages/web/dist as it is
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { buildConfig } from '../packages/server/src/config/config.ts';
import { createAccount } from '../packages/server/src/domain/accounts.ts';
import { createCredentials } from '../packages/server/src/domain/credentials.ts';
import { registerDevice } from '../packages/server/src/domain/devices.ts';
import { grantSubscription } from '../packages/server/src/domain/subscriptions.ts';
import { createLogger } from '../packages/server/src/logger.ts';
import { startServer } from '../packages/server/src/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const IMAGES = join(ROOT, 'docs/images');
const USERNAME = 'satoshi';
const PASSWORD = 'correct horse battery';

function buildWebsite(): void {
  if (process.argv.includes('--no-build')) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

async function main(): Promise<void> {
  buildWebsite();
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-screenshots-'));
  const config = buildConfig({ dataDir, port: 0, logLevel: 'warn', replaceStaleDevices: true });
  const server = await startServer(config, { masterKey: undefined }, createLogger('warn'));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const { ctx } = server;
    const account = await createAccount(ctx, { username: USERNAME, email: 'satoshi@example.com', password: PASSWORD, verified: true });
    const subscription = await grantSubscription(ctx, account.id, 'Basic', 12);
    await createCredentials(ctx, account.id, { via: 'cli' });
    const owner = { accountId: account.id, username: USERNAME, deviceLimit: subscription.tier.deviceLimit, tierName: subscription.tier.name };
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    // An old laptop, unseen for months, gives its slot to the work laptop (--replace-stale-devices).
    await registerDevice(ctx, owner, { identifier: 'c'.repeat(64), name: 'Old laptop', platform: 'Linux' });
    await registerDevice(ctx, owner, { identifier: 'b'.repeat(64), name: 'Home desktop', platform: 'Windows' });
    await ctx.store.db.updateTable('devices').set({ last_seen_at: now - 230 * day }).where('device_identifier', '=', 'c'.repeat(64)).execute();
    await registerDevice(ctx, owner, { identifier: 'a'.repeat(64), name: 'Work laptop', platform: 'Linux' });
    await ctx.store.db.updateTable('device_replacements').set({ replaced_at: now - 41 * day }).where('account_id', '=', account.id).execute();
    // Devices with a history, as a subscriber would have them: the home desktop is stale.
    for (const [identifier, registeredDaysAgo, seenMinutesAgo] of [['a'.repeat(64), 41, 7], ['b'.repeat(64), 300, 143 * 24 * 60]] as const) {
      await ctx.store.db
        .updateTable('devices')
        .set({ created_at: now - registeredDaysAgo * day, last_seen_at: now - seenMinutesAgo * 60_000 })
        .where('device_identifier', '=', identifier)
        .execute();
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Username or email', { exact: true }).fill(USERNAME);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${server.url}/home/subscription`);
    for (const label of ['API Key', 'API Secret']) {
      await page.getByRole('button', { name: `Show ${label}` }).click();
      await page.getByRole('button', { name: `Hide ${label}` }).waitFor();
    }
    await page.getByRole('heading', { name: 'Your subscription' }).click();

    mkdirSync(IMAGES, { recursive: true });
    await page.screenshot({ path: join(IMAGES, 'subscription.png'), fullPage: true });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByTestId('device-count').filter({ hasText: '2 of 2 devices' }).waitFor();
    await page.screenshot({ path: join(IMAGES, 'devices.png'), fullPage: true });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByTestId('session-list').waitFor();
    await page.getByTestId('email-verified').waitFor();
    await page.screenshot({ path: join(IMAGES, 'account.png'), fullPage: true });

    // A phone: the devices become cards, the header folds behind Menu.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', timezoneId: 'UTC' });
    await phone.addCookies(await context.cookies());
    const small = await phone.newPage();
    await small.goto(`${server.url}/home/devices`);
    await small.getByTestId('device-count').filter({ hasText: '2 of 2 devices' }).waitFor();
    await small.screenshot({ path: join(IMAGES, 'devices-phone.png'), fullPage: true });
    await small.getByTestId('site-menu-button').click();
    await small.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Subscription' }).waitFor();
    await small.screenshot({ path: join(IMAGES, 'menu-phone.png') });
    process.stdout.write(`Saved subscription.png, devices.png, account.png, devices-phone.png and menu-phone.png in ${IMAGES}\n`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
