import { createServer } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerContext, type ServerContext } from '../test-support/server-context.ts';
import { startServer, type ServerHandle } from '../test-support/server-process.ts';
import { startSmtpServer, type ReceivedMail, type SmtpServer } from '../test-support/smtp-server.ts';
import { createCredentials } from '../packages/server/src/domain/credentials.ts';
import { requireAccount } from '../packages/server/src/domain/accounts.ts';
import { totpCode } from '../packages/server/src/domain/second-factor/totp.ts';
import { call, ENDPOINTS } from '../packages/server/test/support/rotki-app.ts';
import { AccountPage } from './pages/account-page.ts';
import { LoginPage, SignupPage } from './pages/auth-pages.ts';
import { launchChromium } from './support/app-browser.ts';
import { newUsername, ensureWebsiteBuilt } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'violet tractor mountain 42';

/** A free TCP port: WebAuthn needs the site at a name (localhost), so the port is chosen before the server starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function linkIn(mail: ReceivedMail, path: string): string {
  const link = mail.links.find((l) => l.includes(`${path}#token=`));
  if (link === undefined) throw new Error(`no ${path} link in "${mail.subject}"`);
  return link;
}

/**
 * The account journeys of the website in Chromium, against a real server and
 * a real SMTP server: the tests open the links of the mails that arrived.
 * Passkeys use Chromium's virtual authenticator (DevTools protocol WebAuthn.*).
 */
describe('accounts on the website', () => {
  let smtp: SmtpServer;
  let server: ServerHandle;
  let domain: ServerContext;
  let browser: Browser;
  let base: string;
  const username = newUsername('acct');
  const email = `${username}@example.com`;
  let main: { context: BrowserContext; page: Page };
  let totpKey = '';
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    ensureWebsiteBuilt();
    smtp = await startSmtpServer();
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer({
      dialect: 'sqlite',
      env: { ROTKI_PREMIUM_SMTP_URL: smtp.url, ROTKI_PREMIUM_SITE_URL: base, ROTKI_PREMIUM_LOGIN_RATE_LIMIT: '500' },
      extraArgs: ['--port', String(port)],
    });
    domain = await openServerContext(server);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    main = { context, page: await context.newPage() };
  });
  afterAll(async () => {
    await browser?.close();
    await domain?.close();
    await server?.stop();
    await smtp?.stop();
  });

  it('signs up, confirms the address from the mail, and shows it confirmed', async () => {
    const { page } = main;
    const signup = new SignupPage(page);
    await signup.open(base);
    await page.getByLabel('Password', { exact: true }).fill('password');
    await page.getByRole('meter', { name: 'Password strength' }).waitFor();
    expect(await page.getByTestId('password-strength').textContent()).toContain('Very weak');
    await signup.signUp(username, email, PASSWORD);
    // Hashing the password (scrypt) can take a while on a loaded machine.
    await page.getByTestId('signup-sent').or(page.getByTestId('signup-error')).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('signup-sent').textContent()).toContain(`we sent a mail to ${email}`);

    const link = linkIn(await smtp.waitForMail(email, /Confirm your e-mail address/), '/verify-email');
    await page.goto(link);
    await page.getByTestId('link-done').waitFor();
    await page.goto(`${base}/login`);
    await new LoginPage(page).logIn(username, PASSWORD);
    await page.waitForURL(`${base}/home/subscription`);
    await new AccountPage(page).open(base);
    await page.getByTestId('email-verified').waitFor();
  });

  it('resets a forgotten password from the mail; another browser\'s session is gone', async () => {
    const other = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const otherPage = await other.newPage();
      await otherPage.goto(`${base}/login`);
      await new LoginPage(otherPage).logIn(username, PASSWORD);
      await otherPage.waitForURL(`${base}/home/subscription`);

      // A third browser, logged out, asks for the link.
      const asking = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await asking.newPage();
      await page.goto(`${base}/login`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByLabel('E-mail or username', { exact: true }).fill(email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByTestId('reset-sent').waitFor();
      await page.goto(linkIn(await smtp.waitForMail(email, /Reset your rotki premium password/), '/reset-password'));
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByTestId('reset-done').waitFor();
      await asking.close();

      await otherPage.goto(`${base}/home/devices`);
      await otherPage.waitForURL(/\/login\?/);
      await main.page.goto(`${base}/home/devices`);
      await main.page.waitForURL(/\/login\?/);
    } finally {
      await other.close();
    }
  });

  it('enrols an authenticator app from the shown key; sign-in then asks for a code, and a recovery code works once', async () => {
    const { page } = main;
    await page.goto(`${base}/login`);
    await new LoginPage(page).logIn(username, NEW_PASSWORD);
    await page.waitForURL(`${base}/home/subscription`);
    const account = new AccountPage(page);
    await account.open(base);
    totpKey = await account.startTotp();
    expect(totpKey).toMatch(/^[A-Z2-7]{32}$/);
    recoveryCodes = await account.enableTotp(totpCode(totpKey, Date.now()));
    expect(recoveryCodes).toHaveLength(10);
    await smtp.waitForMail(email, /two-factor sign-in is on/);

    const logIn = async (code: string) => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${base}/login`);
      await new LoginPage(page).logIn(username, NEW_PASSWORD);
      await page.getByTestId('second-factor').waitFor();
      await page.getByLabel('Authentication code', { exact: true }).fill(code);
      await page.getByRole('button', { name: 'Verify' }).click();
    };
    await logIn(totpCode(totpKey, Date.now() + 30_000));
    await page.waitForURL(`${base}/home/subscription`);
    await logIn(recoveryCodes[0] ?? '');
    await page.waitForURL(`${base}/home/subscription`);
    await logIn(recoveryCodes[0] ?? '');
    await page.getByTestId('login-error').filter({ hasText: 'That code is not right, or was used already' }).waitFor();
  });

  it('adds a passkey with the virtual authenticator and signs in with it alone', async () => {
    const { page } = main;
    const cdp = await main.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCodes[1] ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${base}/home/subscription`);
    const account = new AccountPage(page);
    await account.open(base);
    await account.addPasskey('Laptop');
    await smtp.waitForMail(email, /a passkey was added/);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${base}/home/subscription`);
    expect(await page.getByTestId('logged-in-user').textContent()).toBe(username);

    // Removing a passkey needs a current second factor: a wrong code is refused, the passkey itself confirms.
    await account.open(base);
    await page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
    await page.getByLabel('Authenticator or recovery code', { exact: true }).fill('not-a-code');
    await page.getByRole('button', { name: 'Remove with this code' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right, or was used already' }).waitFor();
    await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
    await page.getByTestId('passkey-list').waitFor({ state: 'detached' });
    await smtp.waitForMail(email, /passkey was removed/i);
    // The page checks below look at an account with a passkey.
    await account.addPasskey('Laptop again');
  });

  // Sign-up, forgot password, a link that is not valid and the delete confirmation are in the page-state sweep (page-states-website.e2e).
  it('passes the page checks at 390 and 1280 px in the states only this journey reaches', async () => {
    const widths: Widths = await openWidths(browser, { baseURL: base });
    try {
      await checkPageState(widths, 'login: the second factor', async (page) => {
        await page.goto('/login');
        await new LoginPage(page).logIn(username, NEW_PASSWORD);
        await page.getByTestId('second-factor').waitFor();
      });
      await checkPageState(widths, 'account page with a passkey', async (page) => {
        await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCodes[2 + (page.viewportSize()?.width === 390 ? 0 : 1)] ?? '');
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForURL(/\/home\/subscription$/);
        await page.goto('/home/account');
        await page.getByTestId('passkey-list').waitFor();
        await page.getByTestId('session-list').waitFor();
      });
      await checkPageState(widths, 'account page: removing a passkey asks for a second factor', async (page) => {
        await page.getByRole('button', { name: 'Remove passkey Laptop again' }).click();
        await page.getByLabel('Authenticator or recovery code', { exact: true }).waitFor();
      });
    } finally {
      await widths.close();
    }
  });

  it('deletes the account; its API key is refused by the premium API at once', async () => {
    const { page } = main;
    await server.admin(['admin', 'subscription', 'grant', '--username', username, '--tier', 'Basic', '--months', '1']);
    const account = await requireAccount(domain.ctx, username);
    const pair = await createCredentials(domain.ctx, account.id, { via: 'cli' });
    expect((await call(server.url, pair, ENDPOINTS.limits)).status).toBe(200);
    await server.admin(['admin', 'subscription', 'expire', '--username', username]);

    const accountPage = new AccountPage(page);
    await accountPage.open(base);
    await accountPage.deleteAccount(username, NEW_PASSWORD);
    await page.waitForURL(/\/login\?deleted=1/);
    await page.getByText('Your account was deleted.').waitFor();
    expect((await call(server.url, pair, ENDPOINTS.limits)).status).toBe(403);
    await smtp.waitForMail(email, /account was deleted/);
  });
});
