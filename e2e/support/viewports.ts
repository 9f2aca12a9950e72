import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { pageProblems } from './page-checks.ts';

/**
 * Page states at a phone's width and a desktop's, each checked for horizontal
 * overflow and axe-core violations.
 *
 * How to add a page state (in any e2e file that has a `Browser`):
 *
 *   const widths = await openWidths(browser, { baseURL: site.server.url });
 *   await checkPageState(widths, 'devices: rename dialog', async (page) => {
 *     await page.goto('/home/devices');           // bring the page into the state…
 *     await page.getByRole('button', { name: 'Rename Laptop' }).click();
 *     await page.getByRole('dialog').waitFor();   // …and wait until it is shown
 *   });
 *   await widths.close();
 *
 * `arrive` runs once per width, each width in its own browser context (own
 * cookies: log in inside `arrive`, or once per context with `forEachWidth`).
 * Every width is checked before the state fails, and the error lists each
 * problem with the elements concerned.
 */

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 900 } as const;
export const WIDTHS = [PHONE, DESKTOP] as const;

export interface WidthPage {
  width: number;
  context: BrowserContext;
  page: Page;
}

export interface Widths {
  all: WidthPage[];
  close(): Promise<void>;
}

/** One context and page per width (390 px and 1280 px), with the clipboard allowed on `baseURL`. */
export async function openWidths(browser: Browser, options: BrowserContextOptions = {}): Promise<Widths> {
  const all: WidthPage[] = [];
  for (const viewport of WIDTHS) {
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', ...options, viewport });
    if (options.baseURL !== undefined) {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(options.baseURL).origin });
    }
    all.push({ width: viewport.width, context, page: await context.newPage() });
  }
  return {
    all,
    async close() {
      for (const { context } of all) await context.close();
    },
  };
}

/** Runs `work` at every width, one after the other. */
export async function forEachWidth(widths: Widths, work: (page: Page, width: number) => Promise<void>): Promise<void> {
  for (const { page, width } of widths.all) await work(page, width);
}

/**
 * Brings each width's page into a state with `arrive`, then checks it: no
 * horizontal overflow, no axe-core violation. Throws once, after every width
 * was checked, with all the problems found.
 */
export async function checkPageState(widths: Widths, state: string, arrive: (page: Page, width: number) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const { page, width } of widths.all) {
    await arrive(page, width);
    const problems = await pageProblems(page);
    if (problems.length > 0) failures.push(`${state} at ${width} px:\n${problems.join('\n')}`);
  }
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}
