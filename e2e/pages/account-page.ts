import type { Locator, Page } from 'playwright-core';

/** `/home/account`: e-mail, password, authenticator app, passkeys, sessions, profile, deletion. */
export class AccountPage {
  readonly page: Page;
  readonly totpKey: Locator;
  readonly recoveryCodes: Locator;

  constructor(page: Page) {
    this.page = page;
    this.totpKey = page.getByTestId('totp-key');
    this.recoveryCodes = page.getByTestId('recovery-codes');
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/home/account`);
    await this.page.getByRole('heading', { name: 'Your account' }).waitFor();
    await this.page.getByTestId('totp-state').waitFor();
  }

  /** Starts enrolment and returns the key shown beside the QR code. */
  async startTotp(): Promise<string> {
    await this.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await this.totpKey.waitFor();
    return (await this.totpKey.textContent())?.trim() ?? '';
  }

  /** Finishes enrolment with `code`; the recovery codes shown once. */
  async enableTotp(code: string): Promise<string[]> {
    await this.page.getByLabel('Code from the app', { exact: true }).fill(code);
    await this.page.getByRole('button', { name: 'Turn on' }).click();
    await this.recoveryCodes.waitFor();
    const codes = await this.recoveryCodes.locator('li code').allTextContents();
    await this.page.getByRole('button', { name: 'I have saved them' }).click();
    await this.page.getByTestId('totp-state').filter({ hasText: 'On' }).waitFor();
    return codes.map((c) => c.trim());
  }

  async addPasskey(name: string): Promise<void> {
    await this.page.getByLabel('Passkey name', { exact: true }).fill(name);
    await this.page.getByRole('button', { name: 'Add a passkey' }).click();
    await this.page.getByTestId('passkey-list').getByText(name).waitFor();
  }

  async deleteAccount(username: string, password: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Delete account…' }).click();
    await this.page.getByLabel(`Type ${username} to confirm`, { exact: true }).fill(username);
    await this.page.getByLabel('Password or a current code', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Delete my account' }).click();
  }
}
