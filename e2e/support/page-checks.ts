import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * What every page state must pass, at every width: axe-core finds no
 * accessibility violation (of any impact), and the page is never wider than
 * the window (no sideways scrolling on a phone).
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core from npm, evaluated in the page. `page.evaluate` runs outside the
 * page's Content-Security-Policy, so the site's strict policy stays on and is
 * still checked by the tests.
 */
async function injectAxe(page: Page): Promise<void> {
  const present = (await page.evaluate("typeof window.axe === 'object'")) as boolean;
  if (!present) await page.evaluate(AXE_SOURCE);
}

function describeViolation(violation: Result): string {
  const nodes = violation.nodes.map((node) => {
    const summary = (node.failureSummary ?? '').replace(/\s+/g, ' ').trim();
    return `    - ${node.target.join(' ')}\n      ${node.html.slice(0, 200)}\n      ${summary}`;
  });
  return `  [${violation.impact ?? 'unknown'}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes.join('\n')}`;
}

/**
 * Waits (up to 2 s) for the finite CSS transitions and animations running now, so colours are
 * checked as they settle, not mid-fade. Paused animations are static and never finish: the UI
 * library tints its alerts with one (a colour keyframe held at 90 %), which would otherwise
 * hold every page with an alert for the full 2 s.
 */
const SETTLE_SCRIPT = `Promise.race([
  Promise.all(document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getComputedTiming().iterations !== Infinity).map((a) => a.finished.catch(() => null))),
  new Promise((resolve) => setTimeout(resolve, 2000)),
]).then(() => true)`;

/** Every axe-core violation on the page once it settled, described with its nodes; empty when there is none. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(SETTLE_SCRIPT);
  await injectAxe(page);
  const results = (await page.evaluate("window.axe.run(document, { resultTypes: ['violations'] })")) as AxeResults;
  return results.violations.map(describeViolation);
}

/** Elements sticking out past the right edge of the window (the outermost few), when the page is wider than it. */
/**
 * Runs in the page (the tests are compiled without DOM types, so browser code
 * is a string): null, or what is wider than the window, outermost few first.
 */
const OVERFLOW_SCRIPT = `(() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const culprits = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // Only the outermost offender: its children stick out because it does.
    const parent = element.parentElement;
    if (parent !== null && parent.getBoundingClientRect().right > width + 1) continue;
    const classes = typeof element.className === 'string' ? element.className.trim().split(/\\s+/).filter(Boolean).slice(0, 3) : [];
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + classes.map((c) => '.' + c).join('');
    culprits.push(name + ' (right edge at ' + Math.round(box.right) + ' px)');
    if (culprits.length >= 8) break;
  }
  return 'the page is ' + root.scrollWidth + ' px wide in a ' + width + ' px window: ' + (culprits.join('; ') || 'no single element found');
})()`;

/** What sticks out past the right edge of the window, when the page is wider than it; null when it fits. */
export async function horizontalOverflow(page: Page): Promise<string | null> {
  return (await page.evaluate(OVERFLOW_SCRIPT)) as string | null;
}

/** The problems of the page as it is now: horizontal overflow and axe violations. Empty when sound. */
export async function pageProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const overflow = await horizontalOverflow(page);
  if (overflow !== null) problems.push(`  horizontal overflow: ${overflow}`);
  problems.push(...(await axeViolations(page)));
  return problems;
}

/** Throws, listing every problem, unless the page has no horizontal overflow and no axe violation. */
export async function expectSoundPage(page: Page, state: string): Promise<void> {
  const problems = await pageProblems(page);
  if (problems.length > 0) throw new Error(`${state} at ${page.viewportSize()?.width ?? '?'} px:\n${problems.join('\n')}`);
}
