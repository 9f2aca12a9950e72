import type { Page } from 'playwright-core';

/**
 * One state of one page, as a person sees it: `arrive` brings a page (already
 * logged in as `as`, when the front end has personas) into the state and waits
 * until it is shown. The sweep then checks it at 390 px and at 1280 px for
 * horizontal overflow and for any axe-core violation.
 *
 * `arrive` runs once per width, each width in its own browser context (and,
 * for the app, its own app process), so it must bring the page into the state
 * from wherever the previous state left it: start with `page.goto(…)`.
 */
export interface PageState<Persona extends string, Env> {
  name: string;
  as: Persona;
  arrive(page: Page, env: Env): Promise<void>;
}
