import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscriber } from '../test-support/server-process.ts';
import { AppLoginPage, AppNotesPage, AppPremiumPage } from './pages/app-pages.ts';
import { launchChromium } from './support/app-browser.ts';
import { ensureAppUiBuilt, startAppProcess, type AppProcess } from './support/app-process.ts';
import { startSite, type Site } from './support/site.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

const PASSWORD = 'the same password everywhere';

/**
 * Sync people can trust (issue 9), in Chromium against a real premium server
 * and two app processes (two machines): both edit offline, the second upload
 * is refused with who uploaded and when, and only a forced push with the
 * "I understand" check replaces the other machine's backup.
 */
describe('two machines that both edited offline', () => {
  let site: Site;
  let browser: Browser;
  let widths: Widths;
  let subscriber: Subscriber;
  const apps: AppProcess[] = [];

  async function machine(name: string, who: Subscriber = subscriber): Promise<AppProcess> {
    const app = await startAppProcess({ serverUrl: site.server.url, machineId: `e2e-sync-${name}-${process.pid}`, deviceName: name });
    apps.push(app);
    expect((await app.api('PUT', '/api/1/users', { name: 'alice', password: PASSWORD })).status).toBe(200);
    const setup = await app.api('PATCH', '/api/1/users/alice', { premium_api_key: who.apiKey, premium_api_secret: who.apiSecret });
    expect(setup.status, String(setup.json.message)).toBe(200);
    return app;
  }

  async function note(app: AppProcess, title: string): Promise<void> {
    expect((await app.api('PUT', '/api/1/notes', { title, content: '' })).status).toBe(200);
  }

  async function sync(app: AppProcess, action: 'upload' | 'download'): Promise<void> {
    const answer = await app.api('PUT', '/api/1/premium/sync', { action });
    expect(answer.json.result, String(answer.json.message)).toBe(true);
  }

  async function refusedUpload(page: Page, app: AppProcess): Promise<void> {
    await page.goto('about:blank');
    await page.goto(`${app.url}/#/premium`);
    await new AppPremiumPage(page).activeBanner.waitFor();
    await page.getByTestId('sync-menu').click();
    await page.getByTestId('sync-upload').click();
    await page.getByTestId('sync-conflict').waitFor();
  }

  let laptop: AppProcess;
  let desktop: AppProcess;

  beforeAll(async () => {
    ensureAppUiBuilt();
    site = await startSite();
    browser = await launchChromium();
    widths = await openWidths(browser);
    subscriber = await site.domain.createSubscriber('Basic');
    laptop = await machine('Work laptop');
    desktop = await machine('Home desktop');
    await note(laptop, 'shared');
    await sync(laptop, 'upload');
    await sync(desktop, 'download');
    await note(laptop, 'laptop edit');
    await note(desktop, 'desktop edit');
    await sync(laptop, 'upload');
  }, 240_000);

  afterAll(async () => {
    await widths?.close();
    await browser?.close();
    for (const app of apps) await app.stop();
    await site?.close();
  });

  it('the refused upload opens a dialog that says who uploaded and when (390 and 1280 px, axe-core)', { timeout: 120_000 }, async () => {
    // Refused again at each width: nothing changes on either side until the user decides.
    await checkPageState(widths, 'sync: upload refused, another device uploaded', (page) => refusedUpload(page, desktop));
    const page = widths.all[1]!.page;
    expect((await page.getByTestId('sync-conflict-device').textContent())?.trim()).toBe('Work laptop (Linux)');
    expect(await page.getByTestId('sync-conflict-when').textContent()).toMatch(/\d{1,2}:\d\d:\d\d.*\((just now|\d+ (seconds?|minutes?) ago)\)/);
    await checkPageState(widths, 'sync: upload refused, force push understood', async (p) => {
      await refusedUpload(p, desktop);
      await p.getByTestId('sync-conflict-understand').check();
    });
  });

  it('Cancel changes nothing and says so; Force push needs the check and then replaces', { timeout: 120_000 }, async () => {
    const page = widths.all[1]!.page;
    await refusedUpload(page, desktop);
    await page.getByTestId('sync-conflict-cancel').click();
    await page.getByTestId('sync-result').filter({ hasText: 'Nothing was replaced' }).waitFor();

    await refusedUpload(page, desktop);
    const force = page.getByTestId('sync-conflict-force');
    expect(await force.isDisabled()).toBe(true);
    await page.getByTestId('sync-conflict-understand').check();
    await force.click();
    const result = page.getByTestId('sync-result');
    await result.filter({ hasText: 'Backup uploaded, replacing the one on the server' }).waitFor();
  });

  it('the machine now behind is refused naming the other, and Force pull (with its check) brings that data', { timeout: 120_000 }, async () => {
    const page = widths.all[1]!.page;
    await refusedUpload(page, laptop);
    expect((await page.getByTestId('sync-conflict-device').textContent())?.trim()).toBe('Home desktop (Linux)');
    await page.getByTestId('sync-conflict-download').click();
    await page.getByTestId('sync-force-pull-dialog').waitFor();
    const confirm = page.getByTestId('confirm-dialog-confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('sync-force-pull-understand').check();
    await confirm.click();
    const result = page.getByTestId('sync-result').filter({ hasText: 'Downloaded the backup from the rotki server' });
    await result.waitFor();
    expect(await result.textContent()).toMatch(/The previous local database was kept as .+[/\\]backups[/\\]user_db_\d{8}T\d{6}Z\.backup\./);
    const notes = new AppNotesPage(page);
    await notes.open();
    await notes.titles.filter({ hasText: 'desktop edit' }).waitFor();
    expect((await notes.titles.allTextContents()).map((t) => t.trim())).toEqual(['shared', 'desktop edit']);
  });

  describe('a new machine', () => {
    let other: Subscriber;
    let office: AppProcess;
    let fresh: AppProcess;

    beforeAll(async () => {
      other = await site.domain.createSubscriber('Basic');
      office = await machine('Office PC', other);
      await note(office, 'from the office');
      await sync(office, 'upload');
      fresh = await machine('New laptop', other);
    }, 120_000);

    async function offered(page: Page): Promise<void> {
      await page.goto('about:blank');
      await page.goto(`${fresh.url}/#/premium`);
      await page.getByTestId('restore-offer').waitFor();
    }

    it('is offered the server backup with who uploaded it, and Restore brings that data', { timeout: 120_000 }, async () => {
      await checkPageState(widths, 'sync: restore offer on a new device', offered);
      const page = widths.all[1]!.page;
      expect((await page.getByTestId('restore-offer-device').textContent())?.trim()).toBe('Office PC (Linux)');
      await page.getByTestId('restore-offer-restore').click();
      await page.getByTestId('restore-offer').waitFor({ state: 'hidden' });
      const notes = new AppNotesPage(page);
      await notes.open();
      await notes.titles.filter({ hasText: 'from the office' }).waitFor();
      await page.getByTestId('sync-last').filter({ hasText: /^downloaded (just now|\d+ seconds? ago)$/ }).waitFor();
    });

    it('at login, a newer backup is asked about naming the device; leaving the dialog keeps the local data and says so', { timeout: 120_000 }, async () => {
      expect((await fresh.api('PUT', '/api/1/settings', { settings: { premium_should_sync: true } })).status).toBe(200);
      expect((await fresh.api('PATCH', '/api/1/users/alice', { action: 'logout' })).status).toBe(200);
      // The office's next change is at least a second later than the switch (whole seconds on both sides).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await note(office, 'office, later');
      await sync(office, 'upload');

      const asked = async (page: Page) => {
        const login = new AppLoginPage(page);
        await page.goto('about:blank');
        await login.open(fresh.url);
        await login.signIn('alice', PASSWORD);
        await login.syncQuestion.waitFor();
      };
      await checkPageState(widths, 'login: the server has a newer backup', asked);
      const page = widths.all[1]!.page;
      expect((await page.getByTestId('sync-question-device').textContent())?.trim()).toBe('Office PC (Linux)');
      expect(await page.getByTestId('sync-question-uploaded').textContent()).toMatch(/\d{1,2}:\d\d:\d\d.*\((just now|\d+ (seconds?|minutes?) ago)\)/);
      // No and Yes only: no third way out that would abort the login.
      const question = page.getByRole('dialog', { name: 'The server has a newer backup' });
      expect((await question.getByRole('button').allTextContents()).map((t) => t.trim())).toEqual(["No, keep this computer's data", 'Yes, download it']);
      await page.keyboard.press('Escape');
      await page.getByRole('status').filter({ hasText: "Kept this computer's data" }).first().waitFor();
      const notes = new AppNotesPage(page);
      await notes.open();
      expect((await notes.titles.allTextContents()).map((t) => t.trim())).toEqual(['from the office']);
      await page.getByTestId('sync-status').filter({ hasText: 'newer backup on the server from Office PC (Linux)' }).waitFor();
    });

    it('Force pull over local changes says what is replaced and where it is kept, and needs the "I understand" box', { timeout: 120_000 }, async () => {
      await note(fresh, 'not uploaded');
      const asked = async (page: Page) => {
        await page.goto('about:blank');
        await page.goto(`${fresh.url}/#/premium`);
        await new AppPremiumPage(page).activeBanner.waitFor();
        await page.getByTestId('sync-status').filter({ hasText: 'local changes not uploaded' }).waitFor();
        await page.getByTestId('sync-menu').click();
        await page.getByTestId('sync-force-pull').click();
        await page.getByTestId('sync-force-pull-dialog').filter({ hasText: 'including the changes made here that were not uploaded' }).waitFor();
      };
      await checkPageState(widths, 'sync: force pull over local changes', asked);
      const page = widths.all[1]!.page;
      expect(await page.getByTestId('sync-force-pull-folder').textContent()).toMatch(/[/\\]alice[/\\]backups$/);
      const confirm = page.getByTestId('confirm-dialog-confirm');
      expect(await confirm.isDisabled()).toBe(true);
      await page.getByTestId('sync-force-pull-understand').check();
      await confirm.click();
      await page.getByTestId('sync-result').filter({ hasText: 'Downloaded the backup from the rotki server' }).waitFor();
      const notes = new AppNotesPage(page);
      await notes.open();
      expect((await notes.titles.allTextContents()).map((t) => t.trim())).toEqual(['from the office', 'office, later']);
    });

    it('Force push from the menu needs its own "I understand" box, then replaces the server backup', { timeout: 120_000 }, async () => {
      await note(fresh, 'fresh, pushed');
      const asked = async (page: Page) => {
        await page.goto('about:blank');
        await page.goto(`${fresh.url}/#/premium`);
        await new AppPremiumPage(page).activeBanner.waitFor();
        await page.getByTestId('sync-menu').click();
        await page.getByTestId('sync-force-push').click();
        await page.getByTestId('sync-force-push-dialog').filter({ hasText: 'Office PC (Linux)' }).waitFor();
      };
      await checkPageState(widths, 'sync: force push confirmation', asked);
      const page = widths.all[1]!.page;
      const confirm = page.getByTestId('confirm-dialog-confirm');
      expect(await confirm.isDisabled()).toBe(true);
      await page.getByTestId('sync-force-push-understand').check();
      await confirm.click();
      await page.getByTestId('sync-result').filter({ hasText: 'Backup uploaded, replacing the one on the server' }).waitFor();
      await page.getByTestId('sync-last').filter({ hasText: /^uploaded (just now|\d+ seconds? ago)$/ }).waitFor();
      // The plain Sync now has nothing to send, and says so.
      await page.getByTestId('sync-menu').click();
      await page.getByTestId('sync-upload').click();
      await page.getByTestId('sync-result').filter({ hasText: /^Nothing to upload/ }).waitFor();
    });
  });
});
