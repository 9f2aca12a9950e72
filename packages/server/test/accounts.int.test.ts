import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BILLING_PATHS } from '@rotki-premium/protocol/billing-api';
import { AccountResponse, MailSentResponse, WEB_API_PATHS, WebErrorCode } from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession, type HttpResponse } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { linkToken, startSmtpServer, type ReceivedMail, type SmtpServer } from '../../../test-support/smtp-server.ts';

/** Starting servers and hashing passwords (scrypt) on a loaded machine can take a while. */
const HOOK_TIMEOUT_MS = 180_000;
// Each test hashes several passwords (scrypt) through a server process: minutes on a loaded machine.
const TEST_TIMEOUT_MS = 360_000;
const PASSWORD = 'correct horse battery';

const BILLING = {
  currency: 'EUR',
  seller: { name: 'Example Operator GmbH', address: ['Hauptstraße 1'], country: 'DE' },
  vat: { rates: { DE: 19 }, defaultRate: 19 },
  bankTransfer: { instructions: 'IBAN DE00 0000 0000 0000 0000 00, Example Operator GmbH' },
};

function errorOf(response: HttpResponse): { code: string; message: string } {
  return (response.json as { error: { code: string; message: string } }).error;
}

function linkIn(mail: ReceivedMail, path: string): string {
  const link = mail.links.find((l) => l.includes(`${path}#token=`));
  if (link === undefined) throw new Error(`no ${path} link in "${mail.subject}":\n${mail.text}`);
  return link;
}

let counter = 0;
function newName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}x${Date.now() % 100_000}`;
}

/**
 * Accounts people can keep, through a real server process and a real SMTP
 * server: the tests read the mails that arrived and follow their links.
 */
for (const dialect of DIALECTS) {
  describe(`accounts: e-mail and password (${dialect})`, () => {
    let storage: TestStorage;
    let smtp: SmtpServer;
    let server: ServerHandle;
    let domain: ServerContext;
    let scratch: string;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      smtp = await startSmtpServer();
      scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-accounts-'));
      writeFileSync(join(scratch, 'billing.json'), JSON.stringify(BILLING));
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: {
          ROTKI_PREMIUM_SMTP_URL: smtp.url,
          ROTKI_PREMIUM_MAIL_FROM: 'rotki premium <premium@example.test>',
          ROTKI_PREMIUM_SITE_URL: 'https://premium.example.test',
          ROTKI_PREMIUM_BILLING_CONFIG: join(scratch, 'billing.json'),
        },
      });
      domain = await openServerContext(server);
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await smtp?.stop();
      await storage?.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    async function register(web: HttpWebSession, username: string, email = `${username}@example.com`, password = PASSWORD) {
      return web.request('POST', WEB_API_PATHS.signup, { username, email, password, confirmPassword: password });
    }

    it(
      'signs up with a link to confirm, answers the same for a registered address and tells its owner, and gates checkout on the confirmation',
      async () => {
        const username = newName('verify');
        const email = `${username}@example.com`;
        const web = new HttpWebSession(server.url);
        const first = await register(web, username);
        expect(first.status).toBe(202);
        const mail = await smtp.waitForMail(email, /Confirm your e-mail address/);
        expect(mail.html).toContain('Confirm e-mail address');
        const link = linkIn(mail, '/verify-email');
        expect(link.startsWith('https://premium.example.test/verify-email#token=')).toBe(true);

        // The same address again, under another name: the same answer, no account, a mail to the owner.
        const again = await register(new HttpWebSession(server.url), newName('intruder'), email.toUpperCase());
        expect(again.status).toBe(202);
        expect(MailSentResponse.parse(again.json)).toEqual(MailSentResponse.parse(first.json));
        const notice = await smtp.waitForMail(email, /Someone tried to sign up/);
        expect(notice.text).toContain(`Hello ${username},`);
        const rows = await domain.ctx.store.db.selectFrom('accounts').select('id').where('email', '=', email).execute();
        expect(rows).toHaveLength(1);

        // Logged in before confirming: the pages work, buying does not; a new link waits 5 minutes.
        const login = await web.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        expect(AccountResponse.parse(login.json).account.emailVerified).toBe(false);
        const refused = await web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'bank_transfer' });
        expect(refused.status).toBe(403);
        expect(errorOf(refused).code).toBe(WebErrorCode.EmailNotVerified);
        const resend = await web.request('POST', WEB_API_PATHS.resendVerification);
        expect(resend.status).toBe(429);
        expect(errorOf(resend).message).toBe('A mail was sent a moment ago. Try again in 5 minutes.');

        // A tampered token says it is not valid; the real one works once.
        const token = linkToken(link);
        const tampered = await web.request('POST', WEB_API_PATHS.verifyEmail, { token: `${token.slice(0, -2)}xy` });
        expect(tampered.status).toBe(400);
        expect(errorOf(tampered)).toEqual({ code: WebErrorCode.BadToken, message: 'This link is not valid. Ask for a new one.' });
        expect((await web.request('POST', WEB_API_PATHS.verifyEmail, { token })).status).toBe(200);
        const reused = await web.request('POST', WEB_API_PATHS.verifyEmail, { token });
        expect(errorOf(reused).message).toBe('This link was used already. Ask for a new one if you still need it.');
        const account = AccountResponse.parse((await web.request('GET', WEB_API_PATHS.account)).json);
        expect(account.account.emailVerified).toBe(true);
        const placed = await web.request('POST', BILLING_PATHS.orders, { tier: 'Basic', period: 'yearly', method: 'bank_transfer' });
        expect(placed.status).toBe(201);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'refuses a weak password with the estimator\'s advice',
      async () => {
        const response = await register(new HttpWebSession(server.url), newName('weak'), undefined, 'password');
        expect(response.status).toBe(400);
        expect(errorOf(response)).toMatchObject({ code: WebErrorCode.WeakPassword, message: expect.stringMatching(/^This password is too weak: /) as string });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'resets a forgotten password with a one-hour single-use link, ending every other session',
      async () => {
        const username = newName('reset');
        const email = `${username}@example.com`;
        expect((await register(new HttpWebSession(server.url), username)).status).toBe(202);
        const other = new HttpWebSession(server.url);
        expect((await other.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD })).status).toBe(200);

        // The answer does not say whether the account exists.
        const unknown = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.forgotPassword, { login: 'nobody@example.com' });
        const known = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.forgotPassword, { login: email });
        expect(unknown.status).toBe(202);
        expect(known.json).toEqual(unknown.json);
        const mail = await smtp.waitForMail(email, /Reset your rotki premium password/);
        const token = linkToken(linkIn(mail, '/reset-password'));

        const browser = new HttpWebSession(server.url);
        const weak = await browser.request('POST', WEB_API_PATHS.resetPassword, { token, password: 'password1', confirmPassword: 'password1' });
        expect(errorOf(weak).code).toBe(WebErrorCode.WeakPassword);
        const newPassword = 'violet tractor mountain 42';
        const reset = await browser.request('POST', WEB_API_PATHS.resetPassword, { token, password: newPassword, confirmPassword: newPassword });
        expect(reset.status).toBe(200);
        expect((await other.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        const reused = await browser.request('POST', WEB_API_PATHS.resetPassword, { token, password: newPassword, confirmPassword: newPassword });
        expect(errorOf(reused).code).toBe(WebErrorCode.BadToken);
        expect((await browser.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD })).status).toBe(401);
        expect((await browser.request('POST', WEB_API_PATHS.login, { username, password: newPassword })).status).toBe(200);
        expect((await smtp.waitForMail(email, /password was reset/)).text).toContain('Every other session was logged out');
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'refuses an expired link, and a link of another account while logged in, saying nothing about that account',
      async () => {
        const mine = newName('mine');
        const theirs = newName('theirs');
        const web = new HttpWebSession(server.url);
        await register(web, mine);
        await register(new HttpWebSession(server.url), theirs);
        const theirToken = linkToken(linkIn(await smtp.waitForMail(`${theirs}@example.com`, /Confirm your e-mail/), '/verify-email'));
        await web.request('POST', WEB_API_PATHS.login, { username: mine, password: PASSWORD });
        const foreign = await web.request('POST', WEB_API_PATHS.verifyEmail, { token: theirToken });
        expect(foreign.status).toBe(403);
        expect(errorOf(foreign).message).toBe('This link belongs to another account. Log out, then open it again.');
        expect(JSON.stringify(foreign.json)).not.toContain(theirs);

        const myToken = linkToken(linkIn(await smtp.waitForMail(`${mine}@example.com`, /Confirm your e-mail/), '/verify-email'));
        const { db } = domain.ctx.store;
        await db.updateTable('account_tokens').set({ expires_at: Date.now() - 1 }).where('purpose', '=', 'verify_email').execute();
        const expired = await web.request('POST', WEB_API_PATHS.verifyEmail, { token: myToken });
        expect(errorOf(expired)).toEqual({ code: WebErrorCode.BadToken, message: 'This link has expired. Ask for a new one.' });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'changes the password (with the current one) and the e-mail address (confirmed at the new one, the old one told)',
      async () => {
        const username = newName('change');
        const oldEmail = `${username}@example.com`;
        const web = new HttpWebSession(server.url);
        await register(web, username);
        await web.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        const elsewhere = new HttpWebSession(server.url);
        await elsewhere.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });

        const newPassword = 'amber kettle lighthouse 7';
        const wrong = await web.request('POST', WEB_API_PATHS.changePassword, { currentPassword: 'nope', password: newPassword, confirmPassword: newPassword });
        expect(wrong.status).toBe(403);
        expect(errorOf(wrong).message).toBe('Your current password is not right.');
        const changed = await web.request('POST', WEB_API_PATHS.changePassword, { currentPassword: PASSWORD, password: newPassword, confirmPassword: newPassword });
        expect(changed.status).toBe(200);
        expect((await web.request('GET', WEB_API_PATHS.account)).status).toBe(200);
        expect((await elsewhere.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        await smtp.waitForMail(oldEmail, /password was changed/);

        const newEmail = `${username}-new@example.com`;
        const request = await web.request('POST', WEB_API_PATHS.changeEmail, { email: newEmail, currentPassword: newPassword });
        expect(request.status).toBe(202);
        expect(AccountResponse.parse((await web.request('GET', WEB_API_PATHS.account)).json).account.email).toBe(oldEmail);
        const token = linkToken(linkIn(await smtp.waitForMail(newEmail, /Confirm your new e-mail address/), '/confirm-email'));
        expect((await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.confirmEmail, { token })).status).toBe(200);
        const account = AccountResponse.parse((await web.request('GET', WEB_API_PATHS.account)).json).account;
        expect(account).toMatchObject({ email: newEmail, emailVerified: true });
        expect((await smtp.waitForMail(oldEmail, /e-mail address of your rotki premium account changed/)).text).toContain(newEmail);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
