import type { Locator, Page } from 'playwright-core';

/** `/home/devices`. */
export class DevicesPage {
  readonly page: Page;
  readonly count: Locator;
  readonly table: Locator;

  constructor(page: Page) {
    this.page = page;
    this.count = page.getByTestId('device-count');
    this.table = page.getByTestId('devices-table');
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/home/devices`);
    await this.count.waitFor();
  }

  row(name: string): Locator {
    return this.table.getByRole('row').filter({ hasText: name });
  }

  /** A notice that a stale device was replaced (issue 9). */
  replacementNotice(text: RegExp): Locator {
    return this.page.getByTestId('device-replacement').filter({ hasText: text });
  }

  async waitForCount(text: string): Promise<void> {
    await this.page.getByTestId('device-count').filter({ hasText: text }).waitFor();
  }

  renameDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Rename device' });
  }

  async startRename(name: string): Promise<Locator> {
    await this.page.getByRole('button', { name: `Rename ${name}` }).click();
    const dialog = this.renameDialog();
    await dialog.waitFor();
    return dialog;
  }

  async rename(name: string, newName: string): Promise<void> {
    const dialog = await this.startRename(name);
    await dialog.getByLabel('Device name', { exact: true }).fill(newName);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  removeDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Remove device?' });
  }

  async remove(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Remove ${name}` }).click();
    const dialog = this.removeDialog();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }
}
