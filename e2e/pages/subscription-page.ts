import type { Locator, Page } from 'playwright-core';

export type CredentialLabel = 'API Key' | 'API Secret';

/** `/home/subscription`: the subscription and the API Credentials section. */
export class SubscriptionPage {
  readonly page: Page;
  readonly section: Locator;
  readonly noSubscription: Locator;
  readonly notCreated: Locator;
  readonly createButton: Locator;
  readonly regenerateButton: Locator;
  readonly createdAt: Locator;

  constructor(page: Page) {
    this.page = page;
    this.section = page.getByTestId('api-credentials');
    this.noSubscription = this.section.getByText('You have no active subscription');
    this.notCreated = this.section.getByText('API credentials are not created automatically');
    this.createButton = this.section.getByRole('button', { name: 'Create', exact: true });
    this.regenerateButton = this.section.getByRole('button', { name: 'Regenerate', exact: true });
    this.createdAt = this.section.getByTestId('credentials-created-at');
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/home/subscription`);
    await this.section.waitFor();
  }

  field(label: CredentialLabel): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  async isRevealed(label: CredentialLabel): Promise<boolean> {
    return (await this.field(label).getAttribute('type')) === 'text';
  }

  /** Shows the value and returns it. */
  async reveal(label: CredentialLabel): Promise<string> {
    if (!(await this.isRevealed(label))) await this.page.getByRole('button', { name: `Show ${label}` }).click();
    await this.page.getByRole('button', { name: `Hide ${label}` }).waitFor();
    return this.field(label).inputValue();
  }

  /** Clicks the copy button and returns what landed on the clipboard. */
  async copy(label: CredentialLabel): Promise<string> {
    await this.page.getByRole('button', { name: `Copy ${label}` }).click();
    await this.page.getByText(`${label} copied to the clipboard`).waitFor({ state: 'attached' });
    return (await this.page.evaluate('navigator.clipboard.readText()')) as string;
  }

  regenerateDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Regenerate API credentials?' });
  }

  async regenerate(): Promise<void> {
    await this.regenerateButton.click();
    const dialog = this.regenerateDialog();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  async cancelSubscription(): Promise<void> {
    await this.page.getByRole('button', { name: 'Cancel subscription' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Cancel your subscription?' });
    await dialog.getByRole('button', { name: 'Cancel subscription' }).click();
    await dialog.waitFor({ state: 'detached' });
  }
}
