import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLoginPage, AppNotesPage, AppPremiumPage } from './pages/app-pages.ts';
import { SignupPage } from './pages/auth-pages.ts';
import { SubscriptionPage } from './pages/subscription-page.ts';
import { launchChromium } from './support/app-browser.ts';
import { ensureAppUiBuilt, startAppProcess, type AppProcess } from './support/app-process.ts';
import { newUsername, startSite, type Site } from './support/site.ts';
import type { Browser, Page } from 'playwright-core';

const SITE_PASSWORD = 'correct horse battery';
const LOCAL_PASSWORD = 'the same password everywhere';

/**
 * The app side with a real premium server, its website and three app
 * instances (three machines, each with its own data folder): set up, the
 * device limit and its dialog, sync between two machines, a removed device,
 * a regenerated key, and removing and re-adding the credentials.
 */
describe('the app with the premium server and the website', () => {
  let site: Site;
  let browser: Browser;
  let website: Page;
  let subscription: SubscriptionPage;
  const apps: Record<'a' | 'b' | 'c', AppProcess | null> = { a: null, b: null, c: null };
  const pages: Record<'a' | 'b' | 'c', Page | null> = { a: null, b: null, c: null };
  let apiKey = '';
  let apiSecret = '';

  function app(name: 'a' | 'b' | 'c'): { process: AppProcess; page: Page; premium: AppPremiumPage } {
    const process = apps[name];
    const page = pages[name];
    if (process === null || page === null) throw new Error(`app ${name} is not started`);
    return { process, page, premium: new AppPremiumPage(page) };
  }

  async function openApp(name: 'a' | 'b' | 'c', deviceName: string): Promise<AppPremiumPage> {
    apps[name] = await startAppProcess({ serverUrl: site.server.url, machineId: `e2e-machine-${name}-${process.pid}`, deviceName });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    pages[name] = page;
    const login = new AppLoginPage(page);
    await login.open(apps[name].url);
    await login.createUser('alice', LOCAL_PASSWORD);
    const premium = new AppPremiumPage(page);
    await premium.setupButton.waitFor();
    return premium;
  }

  beforeAll(async () => {
    ensureAppUiBuilt();
    site = await startSite();
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: site.server.url });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.server.url });
    website = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    for (const process of Object.values(apps)) await process?.stop();
    await site?.close();
  });

  it('creates credentials on the website and sets them up in the app: the banner shows', async () => {
    const username = newUsername('app');
    await new SignupPage(website).open(site.server.url);
    await new SignupPage(website).signUpAndLogIn(site.server.url, username, SITE_PASSWORD);
    await site.server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
    subscription = new SubscriptionPage(website);
    await subscription.open(site.server.url);
    await subscription.createButton.click();
    await subscription.regenerateButton.waitFor();
    apiKey = await subscription.reveal('API Key');
    apiSecret = await subscription.reveal('API Secret');

    const premium = await openApp('a', 'Machine A');
    // Pasted with stray spaces and a line break: the fields trim as typed.
    await premium.setup(`  ${apiKey} `, `${apiSecret}\n`);
    await premium.activeBanner.waitFor();
    expect((await premium.activeBanner.textContent())?.trim()).toBe('rotki Premium is active');
    expect(await premium.plan.textContent()).toBe('Basic');
    expect(await premium.manageLink.getAttribute('href')).toBe(`${site.server.url}/home/subscription`);
    await premium.deviceCount.filter({ hasText: '1 of 2 devices' }).waitFor();
    expect(await premium.deviceRows.first().getAttribute('data-current')).toBe('true');
    expect(await premium.syncSwitch.locator('input').isDisabled()).toBe(false);
  });

  it('a second machine takes the second slot: 2 of 2 devices', async () => {
    const premium = await openApp('b', 'Machine B');
    await premium.setup(apiKey, apiSecret);
    await premium.activeBanner.waitFor();
    await premium.deviceCount.filter({ hasText: '2 of 2 devices' }).waitFor();
    const current = premium.deviceRows.filter({ has: app('b').page.getByTestId('premium-current-device') });
    expect(await current.textContent()).toContain('Machine B');
  });

  it('data written on machine A, uploaded, downloads equal on machine B', async () => {
    const a = app('a');
    const notesA = new AppNotesPage(a.page);
    await notesA.open();
    await notesA.add('Cold wallet', 'in the safe, second shelf');
    await notesA.add('Taxes 2026', 'report due in May');
    const upload = await a.premium.sync('upload');
    expect(upload).toMatch(/^Backup uploaded: [\d.,]+ (bytes|KiB|MiB) in 1 chunk\.$/);

    const b = app('b');
    const download = await b.premium.sync('download');
    expect(download).toMatch(/^Downloaded the backup from the rotki server/);
    const notesB = new AppNotesPage(b.page);
    await notesB.open();
    await notesB.titles.filter({ hasText: 'Taxes 2026' }).waitFor();
    expect(await notesB.titles.allTextContents()).toEqual(await notesA.titles.allTextContents());
  });

  it('a third machine hits the device limit, removes one from the dialog, and Setup succeeds', async () => {
    const premium = await openApp('c', 'Machine C');
    await premium.setup(apiKey, apiSecret);
    await premium.limitDialog.waitFor();
    const page = app('c').page;
    expect(await page.getByTestId('device-limit-message').textContent()).toContain('Device limit of 2 reached for your Basic plan');
    const rows = page.getByTestId('device-limit-row');
    expect(await rows.count()).toBe(2);
    expect(await page.getByTestId('device-limit-website-link').getAttribute('href')).toBe(`${site.server.url}/home/devices`);
    // Remove asks once more before it cuts another device off.
    await rows.filter({ hasText: 'Machine B' }).getByTestId('device-limit-remove').click();
    await rows.filter({ hasText: 'Machine B' }).getByTestId('device-limit-confirm').click();
    await rows.filter({ hasText: 'Machine B' }).getByText('Removed').waitFor();
    await page.getByTestId('device-limit-retry').click();
    await premium.activeBanner.waitFor();
    await premium.deviceCount.filter({ hasText: '2 of 2 devices' }).waitFor();
  });

  it('the removed machine learns it at its next check and offers Setup again', async () => {
    const b = app('b');
    await b.premium.open();
    await b.premium.checkNow.click();
    await b.premium.statusMessage.waitFor();
    expect(await b.premium.statusMessage.textContent()).toContain('This device was removed from your rotki premium account');
    await b.page.getByTestId('premium-setup-again').waitFor();
    expect(await b.premium.activeBanner.count()).toBe(0);
  });

  it('Regenerate on the website: the next check turns premium off saying the key was regenerated; remove and re-add works', async () => {
    await subscription.regenerate();
    const fresh = { apiKey: await subscription.reveal('API Key'), apiSecret: await subscription.reveal('API Secret') };
    expect(fresh.apiKey).not.toBe(apiKey);

    const a = app('a');
    await a.premium.open();
    await a.premium.checkNow.click();
    await a.premium.statusMessage.waitFor();
    // Not "check that you copied it" nor "create new credentials": the key worked and was regenerated.
    const message = (await a.premium.statusMessage.textContent())?.trim() ?? '';
    expect(message).toMatch(/^This API key is no longer valid: it was probably regenerated/);
    expect(message).not.toMatch(/create new credentials|Regenerate/);
    expect(await a.page.getByTestId('toolbar-premium').textContent()).toBe('Free');

    // Remove the old pair (with confirmation), then add the new one.
    await a.premium.deleteButton.click();
    await a.premium.confirmDialog();
    await a.premium.setupButton.waitFor();
    await a.premium.setup(fresh.apiKey, fresh.apiSecret);
    await a.premium.activeBanner.waitFor();
    await a.premium.deviceCount.filter({ hasText: '2 of 2 devices' }).waitFor();
  });
});
