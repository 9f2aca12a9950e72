import type { Page } from 'playwright-core';
import { DevicesPage } from '../pages/devices-page.ts';
import { SubscriptionPage } from '../pages/subscription-page.ts';
import type { PageState } from './types.ts';

/**
 * Every state of the website's pages, for the sweep in
 * `page-states.e2e.test.ts`. To add a page: add its states here (a new
 * persona in `WEBSITE_PERSONAS` when none of these fits, set up in
 * `website-env.ts`).
 */

/** Who is looking: nobody logged in; an account without a subscription; a subscriber with credentials and two devices. */
export const WEBSITE_PERSONAS = ['visitor', 'newcomer', 'subscriber'] as const;
export type WebsitePersona = (typeof WEBSITE_PERSONAS)[number];

export interface WebsiteEnv {
  url: string;
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
    name: 'subscription: credentials hidden',
    as: 'subscriber',
    arrive: (page, env) => visit(page, env, '/home/subscription', (p) => new SubscriptionPage(p).field('API Key').waitFor()),
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
    name: 'devices: list',
    as: 'subscriber',
    arrive: (page, env) => visit(page, env, '/home/devices', (p) => new DevicesPage(p).row('Laptop').first().waitFor()),
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
];
