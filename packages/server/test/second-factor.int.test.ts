import {
  AccountResponse,
  RecoveryCodesResponse,
  SecondFactorChallenge,
  SecurityResponse,
  TotpSetupResponse,
  WEB_API_PATHS,
  WebErrorCode,
  type WebCredentials,
} from '@rotki-premium/protocol/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { HttpWebSession, type HttpResponse } from '../../../test-support/http-web-session.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, runCli, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { startSmtpServer, type SmtpServer } from '../../../test-support/smtp-server.ts';
import { totpCode } from '../src/domain/second-factor/totp.ts';
import { call, deviceId, ENDPOINTS, registration } from './support/rotki-app.ts';

const HOOK_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 360_000;
const PASSWORD = 'correct horse battery';

function errorOf(response: HttpResponse): { code: string; message: string } {
  return (response.json as { error: { code: string; message: string } }).error;
}

let counter = 0;
function newName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}x${Date.now() % 100_000}`;
}

/**
 * Two-factor sign-in, sessions, deletion and the operator's commands through
 * a real server process, a real SMTP server and the CLI.
 */
for (const dialect of DIALECTS) {
  describe(`accounts: two-factor sign-in, sessions, deletion (${dialect})`, () => {
    let storage: TestStorage;
    let smtp: SmtpServer;
    let server: ServerHandle;
    let domain: ServerContext;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      smtp = await startSmtpServer();
      server = await startServer({
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_SMTP_URL: smtp.url, ROTKI_PREMIUM_MAIL_FROM: 'premium@example.test', ROTKI_PREMIUM_LOGIN_RATE_LIMIT: '500' },
      });
      domain = await openServerContext(server);
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await smtp?.stop();
      await storage?.cleanup();
    }, HOOK_TIMEOUT_MS);

    async function loggedIn(username: string): Promise<HttpWebSession> {
      const web = new HttpWebSession(server.url);
      expect((await web.signUp(username)).status).toBe(200);
      return web;
    }

    it(
      'enrols an authenticator app, then asks for its code after the password; a recovery code works once',
      async () => {
        const username = newName('totp');
        const web = await loggedIn(username);
        const setup = TotpSetupResponse.parse((await web.request('POST', WEB_API_PATHS.totpSetup)).json);
        expect(setup.otpauthUri).toMatch(new RegExp(`^otpauth://totp/rotki%20premium:${username}\\?`));
        const wrong = await web.request('POST', WEB_API_PATHS.totpEnable, { code: '000000' });
        expect(errorOf(wrong).code).toBe(WebErrorCode.WrongCode);
        const enabled = await web.request('POST', WEB_API_PATHS.totpEnable, { code: totpCode(setup.secret, Date.now()) });
        const { recoveryCodes } = RecoveryCodesResponse.parse(enabled.json);
        expect(recoveryCodes).toHaveLength(10);
        expect(new Set(recoveryCodes).size).toBe(10);
        await smtp.waitForMail(`${username}@example.com`, /two-factor sign-in is on/);
        const stored = await domain.ctx.store.db.selectFrom('recovery_codes').select('code_hash').execute();
        expect(stored.map((r) => r.code_hash)).not.toContain(recoveryCodes[0]);
        const secretRow = await domain.ctx.store.db.selectFrom('accounts').select('totp_secret_ciphertext').where('username', '=', username).executeTakeFirstOrThrow();
        expect(secretRow.totp_secret_ciphertext).not.toContain(setup.secret);

        // The password alone no longer opens a session.
        const browser = new HttpWebSession(server.url);
        const first = await browser.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        expect(SecondFactorChallenge.parse(first.json)).toEqual({ secondFactor: ['totp'] });
        expect((await browser.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        const bad = await browser.request('POST', WEB_API_PATHS.secondFactor, { code: '123456' });
        expect(bad.status).toBe(400);
        expect(errorOf(bad).message).toBe('That code is not right, or was used already. Try the current code.');
        const good = await browser.request('POST', WEB_API_PATHS.secondFactor, { code: totpCode(setup.secret, Date.now() + 30_000) });
        expect(AccountResponse.parse(good.json).account.username).toBe(username);

        // Without the password step first, a code opens nothing.
        const stranger = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.secondFactor, { code: recoveryCodes[0] });
        expect(stranger.status).toBe(401);

        // A recovery code in place of a code: once.
        for (const expected of [200, 400]) {
          const other = new HttpWebSession(server.url);
          await other.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
          expect((await other.request('POST', WEB_API_PATHS.secondFactor, { code: recoveryCodes[1] })).status).toBe(expected);
        }
        const security = SecurityResponse.parse((await web.request('GET', WEB_API_PATHS.security)).json);
        expect(security).toMatchObject({ totpEnabled: true, recoveryCodesLeft: 9 });

        // Turning it off needs a current factor.
        expect((await web.request('POST', WEB_API_PATHS.totpDisable, { code: 'nothing' })).status).toBe(400);
        expect((await web.request('POST', WEB_API_PATHS.totpDisable, { code: recoveryCodes[2] })).status).toBe(200);
        const again = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        expect(AccountResponse.safeParse(again.json).success).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'lists the sessions with browser and address, and ends one or all others',
      async () => {
        const username = newName('sessions');
        const web = await loggedIn(username);
        const other = new HttpWebSession(server.url);
        await other.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        const third = new HttpWebSession(server.url);
        await third.request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        const listed = SecurityResponse.parse((await web.request('GET', WEB_API_PATHS.security)).json).sessions;
        expect(listed).toHaveLength(3);
        expect(listed.filter((s) => s.current)).toHaveLength(1);
        expect(listed[0]?.ip).toBe('127.0.0.1');
        const otherId = SecurityResponse.parse((await other.request('GET', WEB_API_PATHS.security)).json).sessions.find((s) => s.current)?.id;
        expect((await web.request('DELETE', `${WEB_API_PATHS.sessions}${otherId}`)).status).toBe(200);
        expect((await other.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        expect((await web.request('POST', WEB_API_PATHS.endOtherSessions)).status).toBe(200);
        expect((await third.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        expect((await web.request('GET', WEB_API_PATHS.account)).status).toBe(200);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'keeps profile details for invoices, checking the VAT id per country, and exports the data without secrets',
      async () => {
        const username = newName('profile');
        const web = await loggedIn(username);
        const bad = await web.request('PUT', WEB_API_PATHS.profile, { fullName: 'Ada L', company: 'Ada GmbH', vatId: 'DE12345', address: ['Str. 1'], country: 'DE' });
        expect(bad.status).toBe(400);
        expect(errorOf(bad).message).toBe('This is not the form of a VAT id of DE.');
        const good = await web.request('PUT', WEB_API_PATHS.profile, { fullName: 'Ada L', company: 'Ada GmbH', vatId: 'DE 123 456 789', address: ['Str. 1', '10115 Berlin'], country: 'de' });
        expect(good.json).toEqual({ fullName: 'Ada L', company: 'Ada GmbH', vatId: 'DE123456789', address: ['Str. 1', '10115 Berlin'], country: 'DE' });
        const exported = await web.request('GET', WEB_API_PATHS.exportData);
        expect(exported.headers.get('content-disposition')).toBe(`attachment; filename="rotki-premium-${username}.json"`);
        const text = exported.body.toString('utf8');
        expect(JSON.parse(text)).toMatchObject({ account: { username }, profile: { vatId: 'DE123456789' } });
        expect(text).not.toMatch(/scrypt|password_hash|secret/i);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'removes a passkey only with a current second factor; with the last factor gone the recovery codes go too',
      async () => {
        const username = newName('passkeys');
        const web = await loggedIn(username);
        const setup = TotpSetupResponse.parse((await web.request('POST', WEB_API_PATHS.totpSetup)).json);
        const codes = RecoveryCodesResponse.parse((await web.request('POST', WEB_API_PATHS.totpEnable, { code: totpCode(setup.secret, Date.now()) })).json).recoveryCodes;
        // A passkey as an authenticator would have registered it (registration itself is the browser test's).
        const account = await domain.ctx.store.db.selectFrom('accounts').select('id').where('username', '=', username).executeTakeFirstOrThrow();
        const passkey = async (name: string) => {
          const row = await domain.ctx.store.db
            .insertInto('passkeys')
            .values({ account_id: account.id, credential_id: `cred-${name}-${username}`, public_key: 'AQID', counter: 0, transports: '[]', name, created_at: Date.now(), last_used_at: null })
            .returning('id')
            .executeTakeFirstOrThrow();
          return `${WEB_API_PATHS.passkeys}${row.id}`;
        };
        const url = await passkey('Desk key');
        const phone = await passkey('Phone');

        const bare = await web.request('DELETE', url);
        expect(bare.status).toBe(400);
        const wrong = await web.request('DELETE', url, { code: 'not-a-code' });
        expect(wrong.status).toBe(400);
        expect(errorOf(wrong).message).toBe('That code is not right, or was used already. Try the current code.');
        const forged = await web.request('DELETE', url, { assertion: { id: 'nope', rawId: 'nope', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} } });
        expect(forged.status).toBeGreaterThanOrEqual(400);
        expect(forged.status).toBeLessThan(500);
        const security = async () => SecurityResponse.parse((await web.request('GET', WEB_API_PATHS.security)).json);
        expect((await security()).passkeys).toHaveLength(2);

        // A recovery code confirms (and is spent); other second factors remain, so the other codes stay.
        expect((await web.request('DELETE', url, { code: codes[0] })).status).toBe(200);
        await smtp.waitForMail(`${username}@example.com`, /passkey was removed/i);
        expect(await security()).toMatchObject({ passkeys: [{ name: 'Phone' }], recoveryCodesLeft: codes.length - 1, totpEnabled: true });
        expect((await web.request('DELETE', url, { code: codes[1] })).status).toBe(404);

        // The authenticator app off, the last passkey is the last second factor: removing it turns two-factor sign-in off.
        expect((await web.request('POST', WEB_API_PATHS.totpDisable, { code: codes[1] })).status).toBe(200);
        expect(await security()).toMatchObject({ recoveryCodesLeft: codes.length - 2, totpEnabled: false });
        expect((await web.request('DELETE', phone, { code: codes[2] })).status).toBe(200);
        expect(await security()).toMatchObject({ passkeys: [], recoveryCodesLeft: 0, totpEnabled: false });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'deletes an account only without a running subscription; its API key is refused at once',
      async () => {
        const subscriber = await domain.createSubscriber('Basic');
        const web = new HttpWebSession(server.url);
        await web.request('POST', WEB_API_PATHS.login, { username: subscriber.username, password: subscriber.password });
        const credentials = { apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret };
        expect((await call(server.url, credentials, ENDPOINTS.limits)).status).toBe(200);

        const confirm = { username: subscriber.username, password: subscriber.password };
        const running = await web.request('POST', WEB_API_PATHS.deleteAccount, confirm);
        expect(running.status).toBe(409);
        expect(errorOf(running).message).toMatch(/^Your Basic subscription runs until \d{4}-\d\d-\d\d: cancel it/);
        await server.admin(['admin', 'subscription', 'expire', '--username', subscriber.username]);

        expect((await web.request('POST', WEB_API_PATHS.deleteAccount, { ...confirm, username: 'someone' })).status).toBe(400);
        expect((await web.request('POST', WEB_API_PATHS.deleteAccount, { ...confirm, password: 'wrong' })).status).toBe(403);
        expect((await web.request('POST', WEB_API_PATHS.deleteAccount, confirm)).status).toBe(200);
        // The premium API's answer to an unknown key on this route (see support/signed-routes.ts).
        expect((await call(server.url, credentials, ENDPOINTS.limits)).status).toBe(403);
        expect((await web.request('GET', WEB_API_PATHS.account)).status).toBe(401);
        const login = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.login, confirm);
        expect(login.status).toBe(401);
        await smtp.waitForMail(`${subscriber.username}@example.com`, /account was deleted/);
        const row = await domain.ctx.store.db.selectFrom('accounts').selectAll().where('username', 'like', 'deleted-%').execute();
        expect(row.map((r) => r.email)).not.toContain(`${subscriber.username}@example.com`);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'gives the operator show, set-email, reset-password (the mail goes), disable-2fa and delete, audited',
      async () => {
        const username = newName('operator');
        const web = await loggedIn(username);
        const setup = TotpSetupResponse.parse((await web.request('POST', WEB_API_PATHS.totpSetup)).json);
        await web.request('POST', WEB_API_PATHS.totpEnable, { code: totpCode(setup.secret, Date.now()) });

        const shown = (await server.admin(['admin', 'account', 'show', '--username', username])) as { two_factor: { authenticator_app: boolean } };
        expect(shown.two_factor.authenticator_app).toBe(true);
        await server.admin(['admin', 'account', 'disable-2fa', '--username', username]);
        const login = await new HttpWebSession(server.url).request('POST', WEB_API_PATHS.login, { username, password: PASSWORD });
        expect(AccountResponse.safeParse(login.json).success).toBe(true);

        const newEmail = `${username}-desk@example.com`;
        await server.admin(['admin', 'account', 'set-email', '--username', username, '--email', newEmail]);
        await smtp.waitForMail(`${username}@example.com`, /e-mail address of your rotki premium account changed/);
        await server.admin(['admin', 'account', 'reset-password', '--username', username]);
        expect((await smtp.waitForMail(newEmail, /Reset your rotki premium password/)).links.some((l) => l.includes('/reset-password#token='))).toBe(true);

        const deleted = await runCli(['admin', 'account', 'delete', '--username', username, '--yes', '--json'], server.env);
        expect(deleted.code).toBe(0);
        const audit = await domain.ctx.store.db.selectFrom('audit_events').select(['action', 'operator']).where('operator', '=', 'cli').execute();
        expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['totp.disabled', 'email.changed', 'password.reset_requested', 'account.deleted']));
        const missing = await runCli(['admin', 'account', 'show', '--username', username], server.env);
        expect(missing.code).not.toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'mails the owner when credentials are created or regenerated and when a new device registers',
      async () => {
        const subscriber = await domain.createSubscriber('Basic');
        const email = `${subscriber.username}@example.com`;
        await smtp.waitForMail(email, /api credentials created/);
        const web = new HttpWebSession(server.url);
        await web.request('POST', WEB_API_PATHS.login, { username: subscriber.username, password: subscriber.password });
        const pair = (await web.request('POST', WEB_API_PATHS.regenerateKeys)).json as WebCredentials;
        await smtp.waitForMail(email, /api credentials regenerated/);
        const device = await call(server.url, pair, ENDPOINTS.registerDevice, registration(deviceId('mail-device'), 'Laptop'));
        expect(device.status).toBeLessThan(300);
        expect((await smtp.waitForMail(email, /new device uses your premium subscription/)).text).toContain('"Laptop (Linux)"');
      },
      TEST_TIMEOUT_MS,
    );
  });
}
