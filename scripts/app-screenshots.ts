/**
 * Screenshots of the app for the docs: docs/images/app-premium-active.png,
 * docs/images/app-sync-force-pull.png, docs/images/app-device-limit.png and, at a phone's width (390 px),
 * docs/images/app-premium-phone.png. Starts a scratch premium server and three
 * app instances (three machines), drives the UI in headless Chromium.
 *
 *   npm run build -w @rotki-premium/app && npx tsx scripts/app-screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireBuiltUi, startAppProcess, type AppProcess } from '../e2e/support/app-process.ts';
import { launchChromium } from '../e2e/support/app-browser.ts';
import { AppLoginPage, AppPremiumPage } from '../e2e/pages/app-pages.ts';
import { REPO_ROOT, createSubscriber, startServer } from '../test-support/server-process.ts';

const OUT = join(REPO_ROOT, 'docs/images');
const PASSWORD = 'local password';

requireBuiltUi();
mkdirSync(OUT, { recursive: true });
const server = await startServer({ dialect: 'sqlite' });
const apps: AppProcess[] = [];
const browser = await launchChromium();
try {
  const subscriber = await createSubscriber(server, 'Basic');
  for (const [machine, deviceName] of [
    ['laptop', 'Work laptop'],
    ['desktop', 'Home desktop'],
    ['new-laptop', 'New laptop'],
  ] as const) {
    apps.push(await startAppProcess({ serverUrl: server.url, machineId: `screenshot-${machine}`, deviceName }));
  }
  const [first, second, third] = apps as [AppProcess, AppProcess, AppProcess];
  // The second machine takes the other slot of the 2-device Basic plan through its local API.
  await second.api('PUT', '/api/1/users', { name: 'alice', password: PASSWORD });
  await second.api('PATCH', '/api/1/users/alice', { premium_api_key: subscriber.apiKey, premium_api_secret: subscriber.apiSecret });

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await new AppLoginPage(page).open(first.url);
  await new AppLoginPage(page).createUser('alice', PASSWORD);
  const premium = new AppPremiumPage(page);
  await premium.setupButton.waitFor();
  await premium.setup(subscriber.apiKey, subscriber.apiSecret);
  await premium.activeBanner.waitFor();
  await premium.deviceRows.nth(1).waitFor();
  await premium.syncSwitch.locator('input').check({ force: true });
  await premium.sync('upload');
  await page.getByTestId('premium-last-sync').waitFor();
  await page.getByTestId('sync-result-dismiss').click();
  await premium.syncResult.waitFor({ state: 'detached' });
  await page.screenshot({ path: join(OUT, 'app-premium-active.png'), fullPage: true });

  // Force pull from the Sync menu: what is replaced, where it is kept, the "I understand" box.
  await page.getByTestId('sync-menu').click();
  await page.getByTestId('sync-force-pull').click();
  await page.getByTestId('sync-force-pull-understand').check();
  await page.waitForTimeout(300); // let the dialog's enter transition finish before the picture
  await page.screenshot({ path: join(OUT, 'app-sync-force-pull.png') });
  await page.keyboard.press('Escape');
  await page.getByTestId('sync-force-pull-dialog').waitFor({ state: 'detached' });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await premium.activeBanner.waitFor();
  await premium.deviceRows.nth(1).waitFor();
  await page.screenshot({ path: join(OUT, 'app-premium-phone.png'), fullPage: true });

  const limited = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await new AppLoginPage(limited).open(third.url);
  await new AppLoginPage(limited).createUser('alice', PASSWORD);
  const refused = new AppPremiumPage(limited);
  await refused.setupButton.waitFor();
  await refused.setup(subscriber.apiKey, subscriber.apiSecret);
  await refused.limitDialog.waitFor();
  await limited.waitForTimeout(300); // let the dialog's enter transition finish before the picture
  await limited.screenshot({ path: join(OUT, 'app-device-limit.png') });
  process.stdout.write(`Wrote app-premium-active.png, app-sync-force-pull.png, app-premium-phone.png and app-device-limit.png in ${OUT}\n`);
} finally {
  await browser.close();
  for (const app of apps) await app.stop();
  await server.stop();
}
