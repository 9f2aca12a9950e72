import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/app-browser.ts';
import { expectVisibleFocus, tabTo } from './support/keyboard.ts';
import { axeViolations, horizontalOverflow } from './support/page-checks.ts';
import { checkPageState, openWidths, type Widths } from './support/viewports.ts';

/** The checks every page state goes through must themselves catch what they are for. */
describe('the page checks', () => {
  let browser: Browser;
  let widths: Widths;

  beforeAll(async () => {
    browser = await launchChromium();
    widths = await openWidths(browser);
  });
  afterAll(async () => {
    await widths?.close();
    await browser?.close();
  });

  const sound = `<!doctype html><html lang="en"><head><title>Sound</title></head>
    <body><main><h1>Sound page</h1><p>Text that fits.</p><button type="button">Go</button></main></body></html>`;

  it('pass a sound page at both widths', async () => {
    await checkPageState(widths, 'a sound page', (page) => page.setContent(sound));
  });

  it('report an axe-core violation with the element concerned', async () => {
    const page = widths.all[0]!.page;
    await page.setContent(`<!doctype html><html lang="en"><head><title>Broken</title></head>
      <body><main><h1>Broken</h1><button type="button"></button></main></body></html>`);
    const violations = await axeViolations(page);
    expect(violations.join('\n')).toMatch(/button-name[\s\S]*<button type="button"><\/button>/);
  });

  it('report a page wider than a phone, naming the element that sticks out', async () => {
    const wide = `<!doctype html><html lang="en"><head><title>Wide</title></head>
      <body><main><h1>Wide</h1><div class="too-wide" style="width: 600px">wide</div></main></body></html>`;
    await expect(checkPageState(widths, 'a wide page', (page) => page.setContent(wide))).rejects.toThrow(
      /a wide page at 390 px:\n {2}horizontal overflow: the page is \d+ px wide in a 390 px window: div\.too-wide/,
    );
    expect(await horizontalOverflow(widths.all[1]!.page)).toBeNull();
  });

  it('reach a control with Tab and tell a visible focus from an invisible one', async () => {
    const page = widths.all[1]!.page;
    await page.setContent(`<!doctype html><html lang="en"><head><title>Focus</title>
      <style>#hidden:focus { outline: none; } #ringed:focus-visible { outline: 3px solid #1e40af; }</style></head>
      <body><main><h1>Focus</h1><button id="hidden" type="button">No ring</button>
      <button id="ringed" type="button">Ring</button></main></body></html>`);
    await tabTo(page, page.locator('#hidden'));
    await expect(expectVisibleFocus(page)).rejects.toThrow(/shows no visible focus indicator/);
    await tabTo(page, page.locator('#ringed'));
    await expectVisibleFocus(page);
    expect(await page.evaluate('document.activeElement?.id')).toBe('ringed');
    await expect(tabTo(page, page.locator('#absent'), { max: 3 })).rejects.toThrow(/never reached/);
  });
});
