import type { Locator, Page } from 'playwright-core';

/**
 * Keyboard-only journeys: reach a control with Tab (never a click), and check
 * that whatever has the focus shows it.
 */

/** The little of a DOM element these helpers use (the tests are compiled without DOM types). */
interface FocusableNode {
  ownerDocument: { activeElement: unknown };
  contains(other: unknown): boolean;
  focus(): void;
}

async function holdsFocus(target: Locator): Promise<boolean> {
  if ((await target.count()) !== 1) return false;
  return target.evaluate((element) => {
    const node = element as unknown as FocusableNode;
    const active = node.ownerDocument.activeElement;
    return active !== null && (node === active || node.contains(active));
  });
}

/** What has the focus, for error messages. */
export async function focusedDescription(page: Page): Promise<string> {
  return (await page.evaluate(`(() => {
    const active = document.activeElement;
    if (active === null || active === document.body) return '<body>';
    const label = active.getAttribute('aria-label') ?? (active.textContent ?? '').trim().slice(0, 40);
    return '<' + active.tagName.toLowerCase() + (active.id ? '#' + active.id : '') + '> "' + label + '"';
  })()`)) as string;
}

/**
 * Presses Tab (Shift+Tab with `backwards`) until `target` (or an element
 * inside it) has the focus. Fails after `max` presses: the control is not in
 * the Tab order, or focus is trapped elsewhere.
 */
export async function tabTo(page: Page, target: Locator, options: { max?: number; backwards?: boolean } = {}): Promise<void> {
  const max = options.max ?? 40;
  const key = options.backwards === true ? 'Shift+Tab' : 'Tab';
  for (let presses = 0; presses < max; presses += 1) {
    if (await holdsFocus(target)) return;
    await page.keyboard.press(key);
  }
  if (await holdsFocus(target)) return;
  throw new Error(`${key} ${max} times never reached ${target.toString()}; focus is on ${await focusedDescription(page)}`);
}

/** The focused element's box, grown by a margin so an outline or a ring around it is included. */
async function focusClip(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = (await page.evaluate(`(() => {
    const active = document.activeElement;
    if (active === null || active === document.body) return null;
    active.scrollIntoView({ block: 'center', inline: 'nearest' });
    const rect = active.getBoundingClientRect();
    return { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
  })()`)) as { x: number; y: number; width: number; height: number } | null;
  if (box === null) throw new Error('nothing has the focus');
  const margin = 8;
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const x = Math.max(0, Math.floor(box.x - margin));
  const y = Math.max(0, Math.floor(box.y - margin));
  return {
    x,
    y,
    width: Math.max(1, Math.min(viewport.width - x, Math.ceil(box.width + 2 * margin))),
    height: Math.max(1, Math.min(viewport.height - y, Math.ceil(box.height + 2 * margin))),
  };
}

/**
 * Fails unless the focused element looks different from the same element
 * without focus: it matches `:focus-visible`, and a screenshot of it (and a
 * margin around it, for outlines and rings) changes when the focus leaves.
 * The caret is hidden and transitions finished in both shots, so a blinking
 * caret alone does not count as a focus indicator.
 */
export async function expectVisibleFocus(page: Page): Promise<void> {
  const description = await focusedDescription(page);
  const matches = (await page.evaluate("document.activeElement?.matches(':focus-visible') === true")) as boolean;
  if (!matches) throw new Error(`the focused element ${description} does not match :focus-visible`);
  const clip = await focusClip(page);
  const focused = await page.screenshot({ clip, animations: 'disabled', caret: 'hide' });
  const refocus = await page.evaluateHandle('document.activeElement');
  await page.evaluate('document.activeElement?.blur()');
  const blurred = await page.screenshot({ clip, animations: 'disabled', caret: 'hide' });
  // Back to where the keyboard left it; a script focus after keyboard use stays :focus-visible.
  await refocus.evaluate((element) => (element as unknown as FocusableNode | null)?.focus());
  await refocus.dispose();
  if (focused.equals(blurred)) throw new Error(`the focused element ${description} shows no visible focus indicator`);
}

/** Tabs to `target`, checks its focus is visible, and presses `key` (Enter by default) on it. */
export async function pressOn(page: Page, target: Locator, key = 'Enter', options: { max?: number; backwards?: boolean } = {}): Promise<void> {
  await tabTo(page, target, options);
  await expectVisibleFocus(page);
  await page.keyboard.press(key);
}

/** True when the focus is inside `container` (a dialog holding it, for instance). */
export function focusIsWithin(container: Locator): Promise<boolean> {
  return holdsFocus(container);
}
