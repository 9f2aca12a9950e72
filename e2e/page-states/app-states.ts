import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { userDbPath } from '../../packages/app/src/local/user-store.ts';
import type { Page } from 'playwright-core';
import type { Credentials } from '../../packages/server/test/support/rotki-app.ts';
import { AppLoginPage, AppNotesPage, AppPremiumPage } from '../pages/app-pages.ts';
import type { AppProcess } from '../support/app-process.ts';
import type { PageState } from './types.ts';

/**
 * Every state of the app's pages, for the sweep in `page-states-app.e2e.test.ts`.
 * Each width has its own app process (its own machine and data folder); the
 * states run in this order on it, so a state may rely on the user created
 * before it. To add a page: add its states where its prerequisites hold.
 */

export interface AppEnv {
  app: AppProcess;
  /** An account whose two device slots are taken. */
  full: Credentials;
  /** An account with room for this device. */
  roomy: Credentials;
  /** An account whose plan (Supporter) has no backup on the server. */
  supporter: Credentials;
}

export type AppState = PageState<'user', AppEnv>;

export const APP_USER = 'alice';
export const APP_PASSWORD = 'the same password everywhere';

/** The app's damaged-secret case: the secret with characters cut from its middle. */
export function damaged(secret: string): string {
  return secret.slice(0, 10) + secret.slice(14);
}

async function premiumPage(page: Page, env: AppEnv): Promise<AppPremiumPage> {
  // A fresh load: a change of the hash alone would keep a dialog of the previous state open.
  await page.goto('about:blank');
  await page.goto(`${env.app.url}/#/premium`);
  const premium = new AppPremiumPage(page);
  await page.getByRole('heading', { name: 'rotki Premium', exact: true }).waitFor();
  return premium;
}

async function activePremium(page: Page, env: AppEnv): Promise<AppPremiumPage> {
  const premium = await premiumPage(page, env);
  await premium.activeBanner.waitFor();
  await premium.deviceRows.first().waitFor();
  return premium;
}

/** Incompressible notes of about 16 MB (the API takes 100,000 characters a note): an upload long enough (2 chunks) to cancel. */
async function addBulkNotes(env: AppEnv): Promise<void> {
  const notes = (await env.app.api('GET', '/api/1/notes')).json.result as { title: string }[];
  if (notes.some((n) => n.title.startsWith('bulk '))) return;
  for (let i = 0; i < 160; i += 1) {
    const added = await env.app.api('PUT', '/api/1/notes', { title: `bulk ${i}`, content: randomBytes(75_000).toString('base64') });
    if (added.status !== 200) throw new Error(`adding a bulk note answered ${added.status}`);
  }
}

export const APP_STATES: AppState[] = [
  {
    name: 'create user',
    as: 'user',
    async arrive(page, env) {
      const login = new AppLoginPage(page);
      await login.open(env.app.url);
      await page.getByTestId('create-tab').click();
      await login.passwordConfirm.waitFor();
    },
  },
  {
    name: 'create user: weak password refused',
    as: 'user',
    async arrive(page, env) {
      const login = new AppLoginPage(page);
      await login.open(env.app.url);
      await login.createUser(APP_USER, 'a');
      await page.locator('[aria-invalid="true"]').first().waitFor();
    },
  },
  {
    name: 'premium: no key yet',
    as: 'user',
    async arrive(page, env) {
      const login = new AppLoginPage(page);
      await login.open(env.app.url);
      await login.createUser(APP_USER, APP_PASSWORD);
      await new AppPremiumPage(page).setupButton.waitFor();
    },
  },
  {
    name: 'premium: damaged secret caught before sending',
    as: 'user',
    async arrive(page, env) {
      const premium = await premiumPage(page, env);
      await premium.setup(env.roomy.apiKey, damaged(env.roomy.apiSecret));
      await premium.setupError.waitFor();
    },
  },
  {
    name: 'premium: device limit dialog',
    as: 'user',
    async arrive(page, env) {
      const premium = await premiumPage(page, env);
      await premium.setup(env.full.apiKey, env.full.apiSecret);
      await premium.limitDialog.waitFor();
    },
  },
  {
    name: 'premium: active',
    as: 'user',
    async arrive(page, env) {
      const premium = await premiumPage(page, env);
      await premium.setup(env.roomy.apiKey, env.roomy.apiSecret);
      await activePremium(page, env);
    },
  },
  {
    name: 'premium: devices with a stale one and a replacement notice',
    as: 'user',
    async arrive(page, env) {
      const premium = await activePremium(page, env);
      await premium.deviceRows.filter({ hasText: 'Spare PC' }).getByText('Stale — not seen for 143 days').waitFor();
      await page.getByTestId('premium-device-replacement').filter({ hasText: /^Old laptop \(unseen since .+\) was replaced by Sweep \d+ on .+\.$/ }).waitFor();
    },
  },
  {
    name: 'sync menu open',
    as: 'user',
    async arrive(page, env) {
      await activePremium(page, env);
      await page.getByTestId('sync-menu').click();
      await page.getByTestId('sync-upload').waitFor();
    },
  },
  {
    name: 'sync: upload result announced',
    as: 'user',
    async arrive(page, env) {
      const premium = await activePremium(page, env);
      await premium.sync('upload');
    },
  },
  {
    name: 'sync: force pull confirmation, understood',
    as: 'user',
    async arrive(page, env) {
      await activePremium(page, env);
      await page.getByTestId('sync-menu').click();
      await page.getByTestId('sync-force-pull').click();
      await page.getByRole('dialog', { name: "Force pull: replace this computer's data?" }).waitFor();
      await page.getByTestId('sync-force-pull-understand').check();
    },
  },
  {
    name: 'sync: force push confirmation',
    as: 'user',
    async arrive(page, env) {
      await activePremium(page, env);
      await page.getByTestId('sync-menu').click();
      await page.getByTestId('sync-force-push').click();
      await page.getByRole('dialog', { name: 'Force push: replace the backup on the server?' }).waitFor();
    },
  },
  {
    name: 'premium: delete key confirmation',
    as: 'user',
    async arrive(page, env) {
      const premium = await activePremium(page, env);
      await premium.deleteButton.click();
      await page.getByTestId('confirm-dialog-confirm').waitFor();
    },
  },
  {
    name: 'notes',
    as: 'user',
    async arrive(page, env) {
      await page.goto('about:blank');
      await page.goto(`${env.app.url}/#/notes`);
      const notes = new AppNotesPage(page);
      await page.getByRole('heading', { name: 'Notes', exact: true }).waitFor();
      if ((await notes.titles.count()) === 0) await notes.add('Cold wallet', 'in the safe');
    },
  },
  {
    name: 'sync: upload cancelled',
    as: 'user',
    async arrive(page, env) {
      await addBulkNotes(env);
      await activePremium(page, env);
      await page.getByTestId('sync-menu').click();
      await page.getByTestId('sync-upload').click();
      await page.getByTestId('sync-cancel').click();
      await page.getByTestId('sync-result').filter({ hasText: /^Upload cancelled\./ }).waitFor();
      await page.getByTestId('sync-state').filter({ hasText: 'Upload cancelled, nothing changed' }).waitFor();
    },
  },
  {
    // A day of failures cannot pass in a test: the record of them is written into the user's
    // database (as the app keeps it) while the app runs; the page then shows the warning it causes.
    name: 'sync: automatic sync failing for more than a day',
    as: 'user',
    async arrive(page, env) {
      expect((await env.app.api('PUT', '/api/1/settings', { settings: { premium_should_sync: true } })).status).toBe(200);
      const db = new Database(userDbPath(env.app.dataDir, APP_USER));
      try {
        const put = db.prepare('INSERT INTO key_value_cache (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
        put.run('auto_sync_failing_since', String(Math.floor(Date.now() / 1000) - 2 * 24 * 3600));
        put.run('auto_sync_last_error', 'Fetching metadata error: the rotki server did not answer');
      } finally {
        db.close();
      }
      await activePremium(page, env);
      await page.getByTestId('sync-failing-warning').filter({ hasText: 'The automatic sync has failed since' }).waitFor();
    },
  },
  {
    name: 'sync: locked, the plan has no backup',
    as: 'user',
    async arrive(page, env) {
      const setup = await env.app.api('PATCH', `/api/1/users/${APP_USER}`, { premium_api_key: env.supporter.apiKey, premium_api_secret: env.supporter.apiSecret });
      if (setup.status !== 200) throw new Error(`Supporter keys answered ${setup.status}: ${String(setup.json.message)}`);
      await activePremium(page, env);
      await page.getByTestId('sync-upgrade').waitFor();
      if (!(await page.getByTestId('sync-menu').isDisabled())) throw new Error('Sync is not disabled on a plan without backup');
    },
  },
  {
    name: 'sign in',
    as: 'user',
    async arrive(page, env) {
      await page.goto('about:blank');
      await page.goto(`${env.app.url}/#/premium`);
      await page.getByTestId('logout').click();
      await new AppLoginPage(page).submit.waitFor();
    },
  },
];
