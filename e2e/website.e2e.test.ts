import { API_KEY_PATTERN, API_SECRET_PATTERN, UserLimits } from '@rotki-premium/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, deviceId, ENDPOINTS, registration, type Credentials } from '../packages/server/test/support/rotki-app.ts';
import { LoginPage, SignupPage } from './pages/auth-pages.ts';
import { DevicesPage } from './pages/devices-page.ts';
import { SubscriptionPage } from './pages/subscription-page.ts';
import { launchSiteBrowser, type SiteBrowser } from './support/site-browser.ts';
import { newUsername, startSite, type Site } from './support/site.ts';

const PASSWORD = 'correct horse battery';

function exactly(pattern: RegExp): RegExp {
  return new RegExp(`^${pattern.source}$`);
}

/** A signed `GET /nest/1/limits` as the rotki app sends it. */
async function limitsStatus(site: Site, credentials: Credentials): Promise<{ status: number; tier?: string }> {
  const result = await call(site.server.url, credentials, ENDPOINTS.limits);
  return result.status === 200 ? { status: 200, tier: UserLimits.parse(result.json).current_tier } : { status: result.status };
}

describe('the subscriber website', () => {
  let site: Site;
  let browser: SiteBrowser;

  beforeAll(async () => {
    site = await startSite();
    browser = await launchSiteBrowser(site.server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  afterEach(() => {
    expect(browser.cspViolations).toEqual([]);
  });

  it('takes a subscriber from sign-up to credentials that work, regenerated, and devices managed', async () => {
    const { page } = browser;
    const url = site.server.url;
    const username = newUsername('journey');

    // Sign up ("check your inbox"), log in: the subscription page says there is no subscription.
    await new SignupPage(page).open(url);
    await new SignupPage(page).signUpAndLogIn(url, username, PASSWORD);
    const subscription = new SubscriptionPage(page);
    await subscription.noSubscription.waitFor();
    expect(await subscription.section.getByRole('link', { name: /pricing page/ }).getAttribute('href')).toBe('/pricing');
    expect(await page.getByTestId('no-subscription').textContent()).toContain('You have no subscription yet');

    // The operator records a payment: Basic for a month.
    await site.server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
    await page.reload();
    await subscription.notCreated.waitFor();
    expect(await page.getByTestId('subscription-tier').textContent()).toContain('Basic');
    expect(await page.getByTestId('subscription-state').textContent()).toContain('Active');

    // Create: the new pair shows at once, with its creation date.
    await subscription.createButton.click();
    await subscription.regenerateButton.waitFor();
    expect(await subscription.createdAt.textContent()).toMatch(/^Created /);

    // After a reload both values are hidden until revealed; reveal and copy each.
    await page.reload();
    await subscription.field('API Key').waitFor();
    expect(await subscription.isRevealed('API Key')).toBe(false);
    expect(await subscription.isRevealed('API Secret')).toBe(false);
    const apiKey = await subscription.reveal('API Key');
    const apiSecret = await subscription.reveal('API Secret');
    expect(apiKey).toMatch(exactly(API_KEY_PATTERN));
    expect(apiSecret).toMatch(exactly(API_SECRET_PATTERN));
    expect(await subscription.copy('API Key')).toBe(apiKey);
    expect(await subscription.copy('API Secret')).toBe(apiSecret);
    const audit = await site.server.admin(['admin', 'audit', '--username', username]);
    expect(JSON.stringify(audit)).toContain('credentials.viewed');

    // The pair works for a signed request, as the rotki app signs it.
    const original = { apiKey, apiSecret };
    expect(await limitsStatus(site, original)).toEqual({ status: 200, tier: 'Basic' });

    // Regenerate, behind a confirmation that says what happens.
    await subscription.regenerateButton.click();
    const dialog = subscription.regenerateDialog();
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/stops working at once on every\s+device/);
    await dialog.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('the old pair no longer works').waitFor();
    const regenerated = { apiKey: await subscription.reveal('API Key'), apiSecret: await subscription.reveal('API Secret') };
    expect(regenerated.apiKey).not.toBe(original.apiKey);
    expect(regenerated.apiSecret).not.toBe(original.apiSecret);
    expect((await limitsStatus(site, original)).status).toBe(403);
    expect(await limitsStatus(site, regenerated)).toEqual({ status: 200, tier: 'Basic' });

    // Two devices register with the new pair.
    const laptop = deviceId(`${username}-laptop`);
    const desktop = deviceId(`${username}-desktop`);
    expect((await call(url, regenerated, ENDPOINTS.registerDevice, registration(laptop, 'Laptop', 'Linux'))).status).toBe(201);
    expect((await call(url, regenerated, ENDPOINTS.registerDevice, registration(desktop, 'Desktop', 'Windows'))).status).toBe(201);

    // The devices page, reached from the subscription page.
    await page.getByTestId('subscription-devices').click();
    await page.waitForURL(`${url}/home/devices`);
    const devices = new DevicesPage(page);
    await devices.waitForCount('2 of 2 devices');
    expect(await devices.row('Laptop').textContent()).toContain('Linux');
    expect(await devices.row('Desktop').textContent()).toContain('Windows');

    // Rename: an empty name is refused in the dialog, a good one is saved.
    const renameDialog = await devices.startRename('Laptop');
    await renameDialog.getByLabel('Device name', { exact: true }).fill('   ');
    await renameDialog.getByRole('button', { name: 'Save' }).click();
    await renameDialog.getByText('Device name must be 1 to 100 characters.').waitFor();
    await renameDialog.getByLabel('Device name', { exact: true }).fill('Work laptop');
    await renameDialog.getByRole('button', { name: 'Save' }).click();
    await renameDialog.waitFor({ state: 'detached' });
    await devices.row('Work laptop').waitFor();

    // Remove, behind a confirmation that says it takes effect immediately.
    await page.getByRole('button', { name: 'Remove Desktop' }).click();
    const removeDialog = devices.removeDialog();
    await removeDialog.waitFor();
    expect(await removeDialog.textContent()).toContain('takes effect immediately');
    await removeDialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await removeDialog.waitFor({ state: 'detached' });
    await devices.waitForCount('1 of 2 devices');
    expect(await devices.row('Desktop').count()).toBe(0);

    // The removed device is unknown at its next check; the other one is still registered.
    expect((await call(url, regenerated, ENDPOINTS.checkDevice, [['device_identifier', desktop]])).status).toBe(404);
    expect((await call(url, regenerated, ENDPOINTS.checkDevice, [['device_identifier', laptop]])).status).toBe(200);
    const events = JSON.stringify(await site.server.admin(['admin', 'audit', '--username', username]));
    for (const action of ['credentials.created', 'credentials.viewed', 'credentials.regenerated', 'device.renamed', 'device.removed']) {
      expect(events).toContain(action);
    }

    // Back to the subscription page, and cancel: still active until the period end.
    await page.getByRole('link', { name: 'Subscription and API credentials' }).click();
    await subscription.section.waitFor();
    const until = await page.getByTestId('subscription-until').textContent();
    await subscription.cancelSubscription();
    await page.getByTestId('subscription-state').filter({ hasText: 'Cancelled' }).waitFor();
    expect(await page.getByTestId('subscription-until').textContent()).toBe(until);
    expect(await page.getByText(`stays active until ${until?.trim() ?? ''}`).count()).toBe(1);
  });

  it('shows the plans to a visitor', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(`${site.server.url}/pricing`);
    for (const tier of ['Supporter', 'Basic', 'Advanced']) await page.getByTestId(`tier-${tier}`).waitFor();
    const basic = await page.getByTestId('tier-Basic').textContent();
    expect(basic).toMatch(/Devices\s*2/);
    expect(basic).toMatch(/Backup size\s*150 MiB/);
    expect(basic).toContain('Graphs');
  });
});

describe('the website when something is wrong', () => {
  let site: Site;
  let browser: SiteBrowser;
  let username: string;

  beforeAll(async () => {
    site = await startSite();
    browser = await launchSiteBrowser(site.server.url);
    username = newUsername('guard');
    await site.server.admin(['admin', 'account', 'create', '--username', username, '--email', `${username}@example.com`, '--password', PASSWORD]);
    await site.server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  afterEach(() => {
    expect(browser.cspViolations).toEqual([]);
  });

  it('sends a logged-out visitor of any account page to the login page, and back after login', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    for (const path of ['/home/subscription', '/home/devices', '/home']) {
      await page.goto(`${site.server.url}${path}`);
      await page.waitForURL((u) => u.pathname === '/login');
    }
    await page.goto(`${site.server.url}/home/devices`);
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('redirect') === '/home/devices');
    const login = new LoginPage(page);
    await login.notice.waitFor();
    await login.logIn(username, PASSWORD);
    await page.waitForURL(`${site.server.url}/home/devices`);
    await new DevicesPage(page).waitForCount('0 of 2 devices');
    await page.getByText('No devices yet').waitFor();
  });

  it('says "wrong username or password" and stays on the login page', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    const login = new LoginPage(page);
    await login.open(site.server.url);
    await login.logIn(username, 'not my password');
    await login.error.filter({ hasText: 'Wrong username or password.' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await login.logIn('nobody-at-all', PASSWORD);
    await login.error.filter({ hasText: 'Wrong username or password.' }).waitFor();
  });

  it('refuses a state-changing request without the CSRF token with 403', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    const login = new LoginPage(page);
    await login.open(site.server.url);
    await login.logIn(username, PASSWORD);
    await page.waitForURL(`${site.server.url}/home/subscription`);
    // The browser sends the session cookie, as it would for a forged request; the token is missing.
    const forged = (await page.evaluate(
      `fetch('/webapi/subscription/cancel/', { method: 'POST', credentials: 'same-origin' }).then(async (r) => ({ status: r.status, body: await r.json() }))`,
    )) as { status: number; body: { error: { code: string } } };
    expect(forged).toMatchObject({ status: 403, body: { error: { code: 'csrf_failed' } } });
    await page.reload();
    expect(await page.getByTestId('subscription-state').textContent()).toContain('Active');
  });

  it('sends a subscriber whose session expired to the login page', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    const login = new LoginPage(page);
    await login.open(site.server.url);
    await login.logIn(username, PASSWORD);
    await page.waitForURL(`${site.server.url}/home/subscription`);
    await new SubscriptionPage(page).section.waitFor();
    // The page's own loads (payments, history) must be answered first: one still in flight when the
    // session ends would find it gone and send the subscriber to the login page before the click.
    await page.waitForLoadState('networkidle');

    await site.domain.ctx.store.db.updateTable('sessions').set({ expires_at: 0 }).execute();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('expired') === '1');
    await page.getByText('Your session has ended. Log in again to continue.').waitFor();

    await page.goto(`${site.server.url}/home/subscription`);
    await page.waitForURL((u) => u.pathname === '/login');
  });

  it('logs out: the session is gone on the server and account pages need a login again', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    const login = new LoginPage(page);
    await login.open(site.server.url);
    await login.logIn(username, PASSWORD);
    await page.waitForURL(`${site.server.url}/home/subscription`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.goto(`${site.server.url}/home/subscription`);
    await page.waitForURL((u) => u.pathname === '/login');
  });
});
