import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.ts';

export interface SiteBrowser {
  context: BrowserContext;
  page: Page;
  /** Console messages about the Content-Security-Policy: the built pages must cause none. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile of its own, allowed to use the clipboard on `origin`. */
export async function launchSiteBrowser(origin: string): Promise<SiteBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const cspViolations: string[] = [];
  const watch = (page: Page) =>
    page.on('console', (message: ConsoleMessage) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    cspViolations,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
