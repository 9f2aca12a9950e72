import type { Locator, Page } from 'playwright-core';

/** The app's sign-in / create-user screen. */
export class AppLoginPage {
  readonly page: Page;
  readonly name: Locator;
  readonly password: Locator;
  /** Only when creating a user: the password asked twice. */
  readonly passwordConfirm: Locator;
  readonly submit: Locator;
  readonly error: Locator;
  readonly syncQuestion: Locator;

  constructor(page: Page) {
    this.page = page;
    this.name = page.getByTestId('login-name').locator('input');
    this.password = page.getByTestId('login-password').locator('input');
    this.passwordConfirm = page.getByTestId('login-password-confirm').locator('input');
    this.submit = page.getByTestId('login-submit');
    this.error = page.getByTestId('login-error');
    this.syncQuestion = page.getByTestId('sync-question');
  }

  async open(appUrl: string): Promise<void> {
    await this.page.goto(appUrl);
    await this.submit.waitFor();
  }

  async createUser(name: string, password: string, confirmPassword = password): Promise<void> {
    await this.page.getByTestId('create-tab').click();
    await this.name.fill(name);
    await this.password.fill(password);
    await this.passwordConfirm.fill(confirmPassword);
    await this.submit.click();
  }

  async signIn(name: string, password: string): Promise<void> {
    await this.page.getByTestId('login-tab').click();
    await this.name.fill(name);
    await this.password.fill(password);
    await this.submit.click();
  }
}

/** API Keys → rotki Premium, with the toolbar's sync button. */
export class AppPremiumPage {
  readonly page: Page;
  readonly apiKey: Locator;
  readonly apiSecret: Locator;
  readonly setupButton: Locator;
  readonly replaceButton: Locator;
  readonly deleteButton: Locator;
  readonly activeBanner: Locator;
  readonly statusMessage: Locator;
  readonly setupError: Locator;
  readonly plan: Locator;
  readonly manageLink: Locator;
  readonly deviceCount: Locator;
  readonly deviceRows: Locator;
  readonly syncSwitch: Locator;
  readonly checkNow: Locator;
  readonly limitDialog: Locator;
  readonly syncResult: Locator;

  constructor(page: Page) {
    this.page = page;
    this.apiKey = page.getByTestId('premium-api-key').locator('input');
    this.apiSecret = page.getByTestId('premium-api-secret').locator('input');
    this.setupButton = page.getByTestId('premium-setup');
    this.replaceButton = page.getByTestId('premium-replace');
    this.deleteButton = page.getByTestId('premium-delete');
    this.activeBanner = page.getByTestId('premium-active-banner');
    this.statusMessage = page.getByTestId('premium-status-message');
    this.setupError = page.getByTestId('premium-setup-error');
    this.plan = page.getByTestId('premium-plan');
    this.manageLink = page.getByTestId('premium-manage-link');
    this.deviceCount = page.getByTestId('premium-device-count');
    this.deviceRows = page.getByTestId('premium-device-row');
    this.syncSwitch = page.getByTestId('premium-sync-switch');
    this.checkNow = page.getByTestId('premium-check-now');
    this.limitDialog = page.getByTestId('device-limit-dialog');
    this.syncResult = page.getByTestId('sync-result');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-premium').click();
    await this.page.getByRole('heading', { name: 'rotki Premium', exact: true }).waitFor();
  }

  async setup(apiKey: string, apiSecret: string): Promise<void> {
    await this.apiKey.fill(apiKey);
    await this.apiSecret.fill(apiSecret);
    await this.setupButton.click();
  }

  async confirmDialog(): Promise<void> {
    await this.page.getByTestId('confirm-dialog-confirm').click();
  }

  /** The plain Sync (upload), or Force pull with its "I understand" box ticked. */
  async sync(action: 'upload' | 'download'): Promise<string> {
    await this.page.getByTestId('sync-menu').click();
    await this.page.getByTestId(action === 'upload' ? 'sync-upload' : 'sync-force-pull').click();
    if (action === 'download') {
      await this.page.getByTestId('sync-force-pull-understand').check();
      await this.confirmDialog();
    }
    await this.syncResult.waitFor();
    return (await this.syncResult.textContent())?.trim() ?? '';
  }
}

/** The Notes page: a small part of the user's own data. */
export class AppNotesPage {
  readonly page: Page;
  readonly titles: Locator;

  constructor(page: Page) {
    this.page = page;
    this.titles = page.getByTestId('note-row-title');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-notes').click();
    await this.page.getByRole('heading', { name: 'Notes', exact: true }).waitFor();
    // The list is read after the page shows: wait for the answer.
    await this.page.locator('[data-testid="notes-page"][aria-busy="false"]').waitFor();
  }

  async add(title: string, content: string): Promise<void> {
    await this.page.getByTestId('note-title').locator('input').fill(title);
    await this.page.getByTestId('note-content').locator('textarea').fill(content);
    await this.page.getByTestId('note-add').click();
    await this.titles.filter({ hasText: title }).waitFor();
  }
}
