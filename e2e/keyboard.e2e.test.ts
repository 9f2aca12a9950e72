import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, deviceId, ENDPOINTS, registration } from '../packages/server/test/support/rotki-app.ts';
import { createSubscriber } from '../test-support/server-process.ts';
import { APP_PASSWORD, APP_USER } from './page-states/app-states.ts';
import { launchChromium } from './support/app-browser.ts';
import { ensureAppUiBuilt, startAppProcess, type AppProcess } from './support/app-process.ts';
import { expectVisibleFocus, focusedDescription, focusIsWithin, pressOn, tabTo } from './support/keyboard.ts';
import { newUsername, startSite, type Site } from './support/site.ts';
import { PHONE } from './support/viewports.ts';

/**
 * The flows of both front ends with the keyboard alone: every control is
 * reached with Tab and shows its focus, dialogs hold the focus, Escape closes
 * them and the focus returns to what opened them.
 */

const PASSWORD = 'correct horse battery';

async function typeInto(page: Page, label: string, text: string): Promise<void> {
  await tabTo(page, page.getByLabel(label, { exact: true }));
  await expectVisibleFocus(page);
  await page.keyboard.type(text);
}

/** Tab a full round inside the open dialog: the focus never leaves it. */
async function expectFocusTrapped(page: Page, dialogName: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: dialogName });
  for (let presses = 0; presses < 8; presses += 1) {
    await page.keyboard.press(presses % 3 === 2 ? 'Shift+Tab' : 'Tab');
    if (!(await focusIsWithin(dialog))) throw new Error(`Tab left the dialog "${dialogName}": focus on ${await focusedDescription(page)}`);
  }
}

describe('the website with the keyboard alone', () => {
  let site: Site;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    site = await startSite();
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: site.server.url, viewport: PHONE, locale: 'en-GB', timezoneId: 'UTC' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.server.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('signs up, creates the credentials, copies them, and regenerates behind a dialog that holds the focus', async () => {
    const username = newUsername('keys');
    await page.goto('/signup');
    await typeInto(page, 'Username', username);
    await typeInto(page, 'Email', `${username}@example.com`);
    await typeInto(page, 'Password', PASSWORD);
    await typeInto(page, 'Confirm password', PASSWORD);
    await pressOn(page, page.getByRole('button', { name: 'Create account' }));
    // Sign-up sends a confirmation mail and opens no session: log in from the page's link.
    const sent = page.getByTestId('signup-sent');
    await sent.waitFor();
    await pressOn(page, sent.locator('xpath=..').getByRole('link', { name: 'Log in' }));
    await page.waitForURL('**/login');
    await typeInto(page, 'Username or email', username);
    await typeInto(page, 'Password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/home/subscription');

    await site.server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
    await page.reload();
    await pressOn(page, page.getByRole('button', { name: 'Create', exact: true }));
    await page.getByRole('button', { name: 'Regenerate', exact: true }).waitFor();
    await pressOn(page, page.getByRole('button', { name: 'Copy API Key' }));
    await page.getByText('API Key copied to the clipboard').waitFor({ state: 'attached' });
    expect(await page.evaluate('navigator.clipboard.readText()')).toMatch(/^rpk_/);

    // Regenerate: the dialog takes the focus and keeps it; Escape closes and the focus is back on Regenerate.
    const regenerate = page.getByRole('button', { name: 'Regenerate', exact: true });
    await pressOn(page, regenerate);
    const dialog = page.getByRole('dialog', { name: 'Regenerate API credentials?' });
    await dialog.waitFor();
    await expect.poll(() => focusIsWithin(dialog)).toBe(true);
    await expectFocusTrapped(page, 'Regenerate API credentials?');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focusIsWithin(regenerate)).toBe(true);

    // Again, and confirm with the keyboard.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await pressOn(page, dialog.getByRole('button', { name: 'Regenerate', exact: true }));
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('the old pair no longer works').waitFor();
  });

  it('reaches every link of the folded phone menu, and renames and removes a device', async () => {
    const subscriber = await createSubscriber(site.server, 'Basic');
    const credentials = { apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret };
    for (const name of ['Laptop', 'Desktop']) {
      const result = await call(site.server.url, credentials, ENDPOINTS.registerDevice, registration(deviceId(`${subscriber.username}-${name}`), name, 'Linux'));
      expect(result.status).toBe(201);
    }
    await page.context().clearCookies();
    await page.goto('/login');
    await typeInto(page, 'Username or email', subscriber.username);
    await typeInto(page, 'Password', subscriber.password);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/home/subscription');

    // The phone header: Menu opens the links, Escape folds them and the focus stays on Menu.
    const menu = page.getByTestId('site-menu-button');
    await pressOn(page, menu, 'Enter', { backwards: true });
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await pressOn(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }));
    await page.waitForURL('**/home/devices');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');

    // Rename: the dialog's field has the focus; Enter saves; the focus returns to the row's Rename.
    const renameButton = page.getByRole('button', { name: 'Rename Laptop' });
    await pressOn(page, renameButton);
    const rename = page.getByRole('dialog', { name: 'Rename device' });
    await rename.waitFor();
    await expect.poll(() => focusIsWithin(rename.getByLabel('Device name', { exact: true }))).toBe(true);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Work laptop');
    await page.keyboard.press('Enter');
    await rename.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Rename Work laptop' }).waitFor();

    // Remove: Escape first (nothing removed), then confirm.
    const removeButton = page.getByRole('button', { name: 'Remove Desktop' });
    await pressOn(page, removeButton);
    const remove = page.getByRole('dialog', { name: 'Remove device?' });
    await remove.waitFor();
    await page.keyboard.press('Escape');
    await remove.waitFor({ state: 'detached' });
    await expect.poll(() => focusIsWithin(removeButton)).toBe(true);
    await page.keyboard.press('Enter');
    await remove.waitFor();
    await pressOn(page, remove.getByRole('button', { name: 'Remove', exact: true }));
    await remove.waitFor({ state: 'detached' });
    await page.getByTestId('device-count').filter({ hasText: '1 of 2 devices' }).waitFor();
    await page.getByText('"Desktop" was removed.').waitFor();
  });
});

describe('the app with the keyboard alone', () => {
  let site: Site;
  let browser: Browser;
  let page: Page;
  let app: AppProcess;

  beforeAll(async () => {
    ensureAppUiBuilt();
    site = await startSite();
    browser = await launchChromium();
    app = await startAppProcess({ serverUrl: site.server.url, machineId: `keyboard-${process.pid}`, deviceName: 'Keyboard machine' });
    page = await browser.newPage({ viewport: PHONE });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await site?.close();
  });

  it('creates a user, sets premium up through the device-limit dialog, and syncs', async () => {
    const full = await createSubscriber(site.server, 'Basic');
    const credentials = { apiKey: full.apiKey, apiSecret: full.apiSecret };
    for (const name of ['Laptop', 'Desktop']) {
      const result = await call(site.server.url, credentials, ENDPOINTS.registerDevice, registration(deviceId(`${full.username}-${name}`), name, 'Linux'));
      expect(result.status).toBe(201);
    }

    await page.goto(app.url);
    // The tabs: Tab reaches the selected one, an arrow key selects the other and moves the focus to it.
    await tabTo(page, page.getByTestId('login-tab'), { backwards: true });
    await expectVisibleFocus(page);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => focusIsWithin(page.getByTestId('create-tab'))).toBe(true);
    await expectVisibleFocus(page);
    await page.getByLabel('Repeat the password', { exact: true }).waitFor();
    await typeInto(page, 'User name', APP_USER);
    await typeInto(page, 'Password', APP_PASSWORD);
    await typeInto(page, 'Repeat the password', APP_PASSWORD);
    await pressOn(page, page.getByTestId('login-submit'));

    // Setup with empty fields says what is missing, under each field, and puts the focus on the first.
    const setup = page.getByTestId('premium-setup');
    await setup.waitFor();
    await pressOn(page, setup);
    await page.getByText('Paste the API key from your subscription page.').waitFor();
    expect(await page.getByLabel('API Key', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => focusIsWithin(page.getByLabel('API Key', { exact: true }))).toBe(true);
    await page.keyboard.type(full.apiKey);
    await typeInto(page, 'API Secret', full.apiSecret);
    await pressOn(page, setup);

    // The device-limit dialog: Remove asks first, the focus moves to the confirmation, then to Setup again.
    const dialog = page.getByRole('dialog', { name: 'Device limit reached' });
    await dialog.waitFor();
    await pressOn(page, dialog.getByRole('button', { name: 'Remove Desktop' }));
    await expect.poll(() => focusIsWithin(dialog.getByTestId('device-limit-confirm'))).toBe(true);
    await page.keyboard.press('Enter');
    await dialog.getByText('Removed').waitFor();
    await expect.poll(() => focusIsWithin(dialog.getByTestId('device-limit-retry'))).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('premium-active-banner').waitFor();

    // Sync: the menu opens from the keyboard, the arrow keys move in it, the result is announced.
    const sync = page.getByTestId('sync-menu');
    await tabTo(page, sync, { backwards: true });
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await expect.poll(() => focusIsWithin(page.getByTestId('sync-upload'))).toBe(true);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => focusIsWithin(page.getByTestId('sync-force-push'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => focusIsWithin(sync)).toBe(true);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    const live = page.getByTestId('sync-live-region');
    await live.getByTestId('sync-result').waitFor();
    expect(await live.getAttribute('aria-live')).toBe('polite');
    expect((await live.textContent())?.trim()).toMatch(/^Backup uploaded: /);
  });
});
