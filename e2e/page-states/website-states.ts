import type { Page } from 'playwright-core';
import { WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { HttpWebSession } from '../../test-support/http-web-session.ts';
import { waitForOutboxMail } from '../../test-support/smtp-server.ts';
import { AccountPage } from '../pages/account-page.ts';
import { DevicesPage } from '../pages/devices-page.ts';
import { SubscriptionPage } from '../pages/subscription-page.ts';
import type { PageState } from './types.ts';

/**
 * Every state of the website's pages, for the sweep in
 * `page-states-website.e2e.test.ts`. To add a page: add its states here (a new
 * persona in `WEBSITE_PERSONAS` when none of these fits, set up in
 * `page-states-website.e2e.test.ts`).
 */

/** Who is looking: nobody logged in; an account without a subscription; a subscriber with credentials and two devices. */
export const WEBSITE_PERSONAS = ['visitor', 'newcomer', 'subscriber'] as const;
export type WebsitePersona = (typeof WEBSITE_PERSONAS)[number];

export interface WebsiteEnv {
  url: string;
  /** The server's data folder: its outbox holds the mails (no SMTP server in the sweep). */
  dataDir: string;
}

export type WebsiteState = PageState<WebsitePersona, WebsiteEnv>;

async function visit(page: Page, env: WebsiteEnv, path: string, shown: (page: Page) => Promise<void>): Promise<void> {
  await page.goto(`${env.url}${path}`);
  await shown(page);
}

const heading = (name: string | RegExp) => (page: Page) => page.getByRole('heading', { level: 1, name }).waitFor();

async function openDeviceDialog(page: Page, env: WebsiteEnv, button: string, dialog: string): Promise<void> {
  await visit(page, env, '/home/devices', (p) => new DevicesPage(p).row('Laptop').first().waitFor());
  await page.getByRole('button', { name: button }).first().click();
  await page.getByRole('dialog', { name: dialog }).waitFor();
}

const PASSWORD = 'correct horse battery';
let signups = 0;

/** A fresh account signed up over HTTP (unconfirmed): its name, e-mail and a session of it. */
async function signUpFresh(env: WebsiteEnv): Promise<{ email: string; web: HttpWebSession }> {
  signups += 1;
  const username = `sweepmail${process.pid}x${signups}x${Date.now() % 100_000}`;
  const web = new HttpWebSession(env.url);
  const response = await web.signUp(username);
  if (response.status !== 200) throw new Error(`sign-up of ${username} answered ${response.status}`);
  return { email: `${username}@example.com`, web };
}

/** The link of the newest mail to `email` whose subject matches. */
async function mailedLink(env: WebsiteEnv, email: string, subject: RegExp, path: string): Promise<string> {
  const mail = await waitForOutboxMail(env.dataDir, email, subject);
  const link = mail.links.find((l) => l.includes(`${path}#token=`));
  if (link === undefined) throw new Error(`no ${path} link in the mail to ${email}`);
  return link.slice(link.indexOf(path));
}

async function accountPage(page: Page, env: WebsiteEnv): Promise<AccountPage> {
  const account = new AccountPage(page);
  await account.open(env.url);
  return account;
}

export const WEBSITE_STATES: WebsiteState[] = [
  { name: 'landing page', as: 'visitor', arrive: (page, env) => visit(page, env, '/', heading(/.+/)) },
  { name: 'pricing', as: 'visitor', arrive: (page, env) => visit(page, env, '/pricing', (p) => p.getByTestId('tier-Basic').waitFor()) },
  { name: 'log in', as: 'visitor', arrive: (page, env) => visit(page, env, '/login', heading('Log in')) },
  {
    name: 'log in: empty fields refused in the form',
    as: 'visitor',
    async arrive(page, env) {
      await visit(page, env, '/login', heading('Log in'));
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.locator('[aria-invalid="true"]').first().waitFor();
    },
  },
  {
    name: 'log in: wrong password',
    as: 'visitor',
    async arrive(page, env) {
      await visit(page, env, '/login', heading('Log in'));
      await page.getByLabel('Username or email', { exact: true }).fill('nobody-here');
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.getByText('Wrong username or password.').waitFor();
    },
  },
  {
    name: 'log in: session ended',
    as: 'visitor',
    arrive: (page, env) => visit(page, env, '/login?redirect=/home/devices&expired=1', (p) => p.getByText(/session has ended/).waitFor()),
  },
  { name: 'sign up', as: 'visitor', arrive: (page, env) => visit(page, env, '/signup', heading('Sign up')) },
  {
    name: 'sign up: every problem under its field',
    as: 'visitor',
    async arrive(page, env) {
      await visit(page, env, '/signup', heading('Sign up'));
      await page.getByLabel('Email', { exact: true }).fill('not-an-address');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByLabel('Confirm password', { exact: true }).fill('other');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('[aria-invalid="true"]').nth(2).waitFor();
      // The strength meter under the password (loaded on the first keystroke) is part of this state.
      await page.getByRole('meter', { name: 'Password strength' }).waitFor();
    },
  },
  {
    name: 'sign up: check your inbox',
    as: 'visitor',
    async arrive(page, env) {
      signups += 1;
      const username = `sweepsign${process.pid}x${signups}x${Date.now() % 100_000}`;
      await visit(page, env, '/signup', heading('Sign up'));
      await page.getByLabel('Username', { exact: true }).fill(username);
      await page.getByLabel('Email', { exact: true }).fill(`${username}@example.com`);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('signup-sent').waitFor();
    },
  },
  { name: 'page not found (site)', as: 'visitor', arrive: (page, env) => visit(page, env, '/no/such/page', heading('Page not found')) },
  { name: 'page not found (server, a file path)', as: 'visitor', arrive: (page, env) => visit(page, env, '/favicon.ico', heading('Page not found')) },
  {
    name: 'subscription: no subscription yet',
    as: 'newcomer',
    arrive: (page, env) => visit(page, env, '/home/subscription', (p) => p.getByTestId('no-subscription').waitFor()),
  },
  {
    name: 'devices: none, no subscription',
    as: 'newcomer',
    arrive: (page, env) => visit(page, env, '/home/devices', (p) => p.getByText('No devices yet').waitFor()),
  },
  {
    name: 'subscription: credentials hidden, a partly refunded payment',
    as: 'subscriber',
    async arrive(page, env) {
      await visit(page, env, '/home/subscription', (p) => new SubscriptionPage(p).field('API Key').waitFor());
      await page.getByTestId('payment-refunded').getByText('€30.00 refunded').first().waitFor();
      await page.getByTestId('payments-table').getByText('Partly refunded').first().waitFor();
    },
  },
  {
    name: 'subscription: credentials revealed and copied',
    as: 'subscriber',
    async arrive(page, env) {
      const subscription = new SubscriptionPage(page);
      await subscription.open(env.url);
      await subscription.reveal('API Key');
      await subscription.reveal('API Secret');
      await page.getByRole('button', { name: 'Copy API Key' }).click();
      await page.getByText('API Key copied to the clipboard').waitFor({ state: 'attached' });
    },
  },
  {
    name: 'subscription: regenerate dialog',
    as: 'subscriber',
    async arrive(page, env) {
      const subscription = new SubscriptionPage(page);
      await subscription.open(env.url);
      await subscription.regenerateButton.click();
      await subscription.regenerateDialog().waitFor();
    },
  },
  {
    name: 'subscription: cancel dialog',
    as: 'subscriber',
    async arrive(page, env) {
      await new SubscriptionPage(page).open(env.url);
      await page.getByRole('button', { name: 'Cancel subscription' }).click();
      await page.getByRole('dialog', { name: 'Cancel your subscription?' }).waitFor();
    },
  },
  {
    name: 'devices: list, one stale and a replacement notice',
    as: 'subscriber',
    arrive: (page, env) =>
      visit(page, env, '/home/devices', async (p) => {
        const devices = new DevicesPage(p);
        await devices.row('Desktop').getByText('Stale — not seen for 143 days').waitFor();
        await devices.replacementNotice(/^Old laptop \(unseen since .+\) was replaced by Desktop on .+\.$/).waitFor();
      }),
  },
  { name: 'devices: rename dialog', as: 'subscriber', arrive: (page, env) => openDeviceDialog(page, env, 'Rename Laptop', 'Rename device') },
  { name: 'devices: remove dialog', as: 'subscriber', arrive: (page, env) => openDeviceDialog(page, env, 'Remove Laptop', 'Remove device?') },
  {
    name: 'pricing, logged in',
    as: 'subscriber',
    arrive: (page, env) => visit(page, env, '/pricing', (p) => p.getByTestId('tier-Basic').waitFor()),
  },
  {
    name: 'checkout',
    as: 'subscriber',
    arrive: (page, env) => visit(page, env, '/checkout?tier=Advanced&period=yearly', heading(/.+/)),
  },
  {
    name: 'account',
    as: 'subscriber',
    async arrive(page, env) {
      await accountPage(page, env);
      await page.getByTestId('session-list').waitFor();
    },
  },
  {
    name: 'account: authenticator app setup (QR code and key)',
    as: 'newcomer',
    async arrive(page, env) {
      await (await accountPage(page, env)).startTotp();
    },
  },
  {
    name: 'account: authenticator app setup, a wrong code',
    as: 'newcomer',
    async arrive(page, env) {
      await (await accountPage(page, env)).startTotp();
      await page.getByLabel('Code from the app', { exact: true }).fill('000000');
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
    },
  },
  {
    name: 'account: delete confirmation',
    as: 'newcomer',
    async arrive(page, env) {
      await accountPage(page, env);
      await page.getByRole('button', { name: 'Delete account…' }).click();
      await page.getByLabel('Password or a current code', { exact: true }).waitFor();
    },
  },
  {
    name: 'cloud backup: plan without it',
    as: 'newcomer',
    arrive: (page, env) => visit(page, env, '/home/backups', (p) => p.getByTestId('backup-not-included').waitFor()),
  },
  {
    name: 'cloud backup: no backup yet',
    as: 'subscriber',
    arrive: (page, env) => visit(page, env, '/home/backups', (p) => p.getByTestId('backups-empty').waitFor()),
  },
  {
    name: 'checkout: no subscription yet, no online payment offered',
    as: 'newcomer',
    arrive: (page, env) => visit(page, env, '/checkout?tier=Basic&period=monthly', (p) => p.getByTestId('checkout-plan').waitFor()),
  },
  { name: 'forgot password', as: 'visitor', arrive: (page, env) => visit(page, env, '/forgot-password', heading(/.+/)) },
  {
    name: 'forgot password: link sent',
    as: 'visitor',
    async arrive(page, env) {
      await visit(page, env, '/forgot-password', heading(/.+/));
      await page.getByLabel(/e-?mail/i).first().fill('someone@example.com');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByTestId('reset-sent').waitFor();
    },
  },
  {
    name: 'reset password: a link that is not valid',
    as: 'visitor',
    async arrive(page, env) {
      await visit(page, env, '/reset-password#token=not-a-real-token', heading('Choose a new password'));
      await page.getByLabel('New password', { exact: true }).fill('violet tractor mountain 42');
      await page.getByLabel('Repeat the new password', { exact: true }).fill('violet tractor mountain 42');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
    },
  },
  {
    name: 'reset password: done',
    as: 'visitor',
    async arrive(page, env) {
      const { email, web } = await signUpFresh(env);
      const asked = await web.request('POST', WEB_API_PATHS.forgotPassword, { login: email });
      if (asked.status >= 300) throw new Error(`forgot password answered ${asked.status}`);
      const path = await mailedLink(env, email, /password/i, '/reset-password');
      await page.goto('about:blank');
      await visit(page, env, path, heading('Choose a new password'));
      await page.getByLabel('New password', { exact: true }).fill('violet tractor mountain 42');
      await page.getByLabel('Repeat the new password', { exact: true }).fill('violet tractor mountain 42');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByTestId('reset-done').waitFor();
    },
  },
  {
    name: 'verify e-mail: a link that is not valid',
    as: 'visitor',
    arrive: (page, env) => visit(page, env, '/verify-email#token=not-a-real-token', (p) => p.getByTestId('link-failed').waitFor()),
  },
  {
    name: 'verify e-mail: confirmed',
    as: 'visitor',
    async arrive(page, env) {
      const { email } = await signUpFresh(env);
      const path = await mailedLink(env, email, /Confirm your e-mail address/, '/verify-email');
      // A fresh load: from the previous state's address only the hash would change, and the page would not send the new token.
      await page.goto('about:blank');
      await visit(page, env, path, (p) => p.getByTestId('link-done').waitFor());
    },
  },
];
