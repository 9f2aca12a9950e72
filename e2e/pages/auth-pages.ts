import type { Locator, Page } from 'playwright-core';

/** `/login`. */
export class LoginPage {
  readonly page: Page;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;
  readonly notice: Locator;

  constructor(page: Page) {
    this.page = page;
    this.username = page.getByLabel('Username or email', { exact: true });
    this.password = page.getByLabel('Password', { exact: true });
    this.submit = page.getByRole('button', { name: 'Log in', exact: true });
    this.error = page.getByRole('alert');
    this.notice = page.getByText(/Log in (again )?to continue/);
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/login`);
    await this.username.waitFor();
  }

  async logIn(username: string, password: string): Promise<void> {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }
}

/** `/signup`. */
export class SignupPage {
  readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/signup`);
    await this.page.getByLabel('Username', { exact: true }).waitFor();
  }

  async signUp(username: string, email: string, password: string, confirmPassword = password): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.page.getByLabel('Email', { exact: true }).fill(email);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByLabel('Confirm password', { exact: true }).fill(confirmPassword);
    await this.page.getByRole('button', { name: 'Create account' }).click();
  }

  /** Signs up ("check your inbox"), then logs in from the link the page offers; lands on the subscription page. */
  async signUpAndLogIn(baseUrl: string, username: string, password: string): Promise<void> {
    await this.signUp(username, `${username}@example.com`, password);
    await this.page.getByTestId('signup-sent').waitFor();
    await this.page.getByTestId('signup-sent').locator('xpath=..').getByRole('link', { name: 'Log in' }).click();
    await new LoginPage(this.page).logIn(username, password);
    await this.page.waitForURL(`${baseUrl}/home/subscription`);
  }
}
