import { createRui, type InitThemeOptions, ThemeMode } from '@rotki/ui-library';

export type RuiIcons = NonNullable<InitThemeOptions['icons']>;

/** rotki's design system in light mode with the given icons registered (not fetched). */
export function createRuiPlugin(icons: RuiIcons) {
  return createRui({ theme: { mode: ThemeMode.light, icons } });
}
