import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PremiumClient, uploadBackup } from '@rotki-premium/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadAsRotki } from '../packages/server/test/support/backup-wire.ts';
import { call, ENDPOINTS, USER_AGENT } from '../packages/server/test/support/rotki-app.ts';
import type { Subscriber } from '../test-support/server-process.ts';
import { LoginPage } from './pages/auth-pages.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser.ts';
import { startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

async function logIn(page: Page, url: string, who: Subscriber): Promise<void> {
  const login = new LoginPage(page);
  await login.open(url);
  await login.logIn(who.username, who.password);
  await page.waitForURL(/\/home\//);
}

/** The website's Cloud backup section (issue 9) in Chromium at 390 and 1280 px, with axe-core on every state. */
describe('the Cloud backup page', () => {
  let site: Site;
  let browser: Browser;
  let widths: Widths;
  const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-e2e-backups-'));

  beforeAll(async () => {
    site = await startSite();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    widths = await openWidths(browser, { baseURL: site.server.url });
  }, 180_000);
  afterAll(async () => {
    await widths?.close();
    await browser?.close();
    await site?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('lists the versions with who uploaded them, restores an earlier one the app then sees, downloads, and deletes all', { timeout: 300_000 }, async () => {
    const url = site.server.url;
    const who = await site.domain.createSubscriber('Basic');
    // Machine A (our app) uploads, then a rotki app uploads over it.
    const laptop = new PremiumClient({ baseUrl: url, apiKey: who.apiKey, apiSecret: who.apiSecret, deviceIdentifier: `laptop-${randomBytes(6).toString('hex')}` });
    await laptop.registerDevice({ name: 'Work laptop', platform: 'linux' });
    const first = randomBytes(300_000);
    const firstPath = join(scratch, 'first.bin');
    writeFileSync(firstPath, first);
    await uploadBackup(laptop.connection, firstPath, { lastModifyTs: 1_700_000_000, baseHash: '' });
    const second = randomBytes(5000);
    expect((await uploadAsRotki(url, who, second, { chunkSize: 4096, lastModifyTs: 1_700_000_100 })).at(-1)?.status).toBe(200);

    for (const { page } of widths.all) await logIn(page, url, who);
    await checkPageState(widths, 'backups: two versions', async (page) => {
      await page.goto(`${url}/home/backups`);
      await page.getByTestId('backups-table').getByText('Work laptop (linux)').waitFor();
    });
    const desktop = widths.all[1]!.page;
    const table = desktop.getByTestId('backups-table');
    expect(await desktop.getByTestId('backup-plan').textContent()).toContain('keeps 3 versions of up to 150 MiB each');
    expect(await table.getByRole('listitem').filter({ hasText: 'Current' }).textContent()).toContain(`a rotki app (${USER_AGENT})`);
    expect(await table.getByRole('listitem').filter({ hasText: 'Work laptop' }).textContent()).toContain('0.29 MiB');

    // Download the earlier version: the encrypted bytes as uploaded.
    const href = await table.getByRole('listitem').filter({ hasText: 'Work laptop' }).getByRole('link', { name: /^Download/ }).getAttribute('href');
    const downloaded = await desktop.request.get(`${url}${href}`);
    expect(downloaded.status()).toBe(200);
    expect((await downloaded.body()).equals(first)).toBe(true);

    // Restore it, behind a confirmation; the app sees it as newer data at its next check.
    await checkPageState(widths, 'backups: restore dialog', async (page) => {
      await page.getByRole('button', { name: /^Restore the backup from/ }).click();
      await page.getByRole('dialog', { name: 'Restore this backup?' }).waitFor();
    });
    await widths.all[0]!.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    const restoreDialog = desktop.getByRole('dialog', { name: 'Restore this backup?' });
    expect(await restoreDialog.textContent()).toContain('Work laptop (linux)');
    await restoreDialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await restoreDialog.waitFor({ state: 'detached' });
    await desktop.getByText('is now the current one').waitFor();
    const metadata = (await call(url, who, ENDPOINTS.lastDataMetadata)).json as { data_hash: string; last_modify_ts: number };
    expect(metadata.data_hash).toBe(sha256(first));
    expect(metadata.last_modify_ts).toBeGreaterThan(1_700_000_100);
    expect(await table.getByRole('listitem').filter({ hasText: 'Current' }).textContent()).toContain('Work laptop (linux)');

    // Delete all: the username must be typed.
    await checkPageState(widths, 'backups: delete dialog', async (page) => {
      await page.reload();
      await page.getByTestId('backups-table').getByText('Work laptop (linux)').waitFor();
      await page.getByRole('button', { name: 'Delete all backups' }).click();
      await page.getByRole('dialog', { name: 'Delete all backups?' }).waitFor();
    });
    await widths.all[0]!.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    const deleteDialog = desktop.getByRole('dialog', { name: 'Delete all backups?' });
    await deleteDialog.getByLabel(`Type ${who.username} to confirm`).fill('someone else');
    await deleteDialog.getByRole('button', { name: 'Delete all', exact: true }).click();
    await deleteDialog.getByText('Type your username exactly to confirm.').waitFor();
    await deleteDialog.getByLabel(`Type ${who.username} to confirm`).fill(who.username);
    await deleteDialog.getByRole('button', { name: 'Delete all', exact: true }).click();
    await deleteDialog.waitFor({ state: 'detached' });
    await desktop.getByText('Deleted 2 backup versions.').waitFor();
    await desktop.getByTestId('backups-empty').getByText('No backup yet').waitFor();
    expect((await call(url, who, ENDPOINTS.lastDataMetadata)).json).toMatchObject({ data_hash: '', data_size: 0 });
    const audit = JSON.stringify(await site.server.admin(['admin', 'audit', '--username', who.username]));
    expect(audit).toContain('backup.restored');
    expect(audit).toContain('backup.deleted');
  });

  it('tells a plan without cloud backup so, with an upgrade link', { timeout: 180_000 }, async () => {
    const url = site.server.url;
    const who = await site.domain.createSubscriber('Supporter');
    // The page checks of this state are in the page-state sweep ('cloud backup: plan without it').
    const desktop = widths.all[1]!.page;
    await desktop.context().clearCookies();
    await logIn(desktop, url, who);
    await desktop.goto(`${url}/home/backups`);
    const notice = desktop.getByTestId('backup-not-included');
    expect(await notice.textContent()).toContain('Your Supporter plan does not include cloud backup');
    expect(await notice.getByRole('link', { name: 'Upgrade to a plan with cloud backup' }).getAttribute('href')).toBe('/pricing');
  });
});
