import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, runCli, startServer, type ServerHandle, type TestStorage } from '../../../test-support/server-process.ts';
import { startSmtpServer, type SmtpServer } from '../../../test-support/smtp-server.ts';
import { enqueueMail, listMail } from '../src/domain/mail/queue.ts';

interface ListedMail {
  id: number;
  to: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The mail queue with real parts: two server processes share one database and
 * send through a real SMTP server (with a login); the relay refuses the first
 * message with 451. Every mail arrives exactly once, the refused one after the
 * operator's retry, and `admin mail list` shows what happened.
 */
for (const dialect of DIALECTS) {
  describe(`mail delivery (${dialect})`, () => {
    let storage: TestStorage;
    let smtp: SmtpServer;
    let first: ServerHandle;
    let second: ServerHandle;
    let domain: ServerContext;

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      smtp = await startSmtpServer({ failFirst: 1 });
      const shared = {
        dialect,
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        env: { ROTKI_PREMIUM_SMTP_URL: smtp.url, ROTKI_PREMIUM_MAIL_FROM: 'Premium <premium@example.test>' },
      } as const;
      first = await startServer(shared);
      second = await startServer(shared);
      domain = await openServerContext(first);
    });
    afterAll(async () => {
      await domain?.close();
      await first?.stop();
      await second?.stop();
      await smtp?.stop();
      await storage?.cleanup();
    });

    it('says where mail goes, without the SMTP password', async () => {
      const port = String(smtp.port);
      expect(first.logs()).toContain(`mail is SMTP at smtp://mailer:***@127.0.0.1:${port}`);
      expect(first.logs()).not.toContain('mail secret');
      expect(first.logs()).not.toContain('mail%20secret');
    });

    it('delivers every queued mail exactly once across two instances, retrying a refused one', async () => {
      const { db } = domain.ctx.store;
      const recipients = Array.from({ length: 6 }, (_, i) => `${dialect}-rcpt${i}@example.com`);
      for (const to of recipients) {
        await enqueueMail(db, domain.ctx.clock, { to, template: 'signup-attempt', data: { username: to.split('@')[0] as string } });
      }
      // The relay refused the first message (451): it waits for its next attempt.
      const refused = await waitFor('the refused mail', async () =>
        (await listMail(db, { status: 'pending' })).find((m) => m.attempts === 1 && recipients.includes(m.to)),
      );
      expect(refused.lastError).toMatch(/451/);
      await waitFor('five mails', async () => ((await smtp.received()).length === 5 ? true : undefined));

      // The operator sends it again now instead of in 30 seconds.
      const retried = await first.admin(['admin', 'mail', 'retry', '--id', String(refused.id)]);
      expect(retried.requeued).toBe(1);
      await waitFor('six mails', async () => ((await smtp.received()).length >= 6 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 2_500));

      const received = await smtp.received();
      expect(received.map((m) => m.to).sort()).toEqual([...recipients].sort());
      expect(new Set(received.map((m) => m.messageId)).size).toBe(6);
      for (const mail of received) {
        expect(mail.from).toBe('premium@example.test');
        expect(mail.subject).toBe('Someone tried to sign up with your e-mail address');
        expect(mail.html).toContain('Reset password');
        // Without --site-url each instance links to its own address.
        expect([`${first.url}/forgot-password`, `${second.url}/forgot-password`]).toContain(mail.links[0]);
      }

      const listed = (await first.admin(['admin', 'mail', 'list'])).mails as ListedMail[];
      for (const to of recipients) expect(listed.find((m) => m.to === to)?.status).toBe('sent');
      expect(listed.find((m) => m.id === refused.id)).toMatchObject({ status: 'sent', attempts: 1 });
    });
  });
}

describe('mail without SMTP (the two-command start)', () => {
  let storage: TestStorage;
  let server: ServerHandle;
  let domain: ServerContext;

  beforeAll(async () => {
    storage = await createTestStorage('sqlite');
    server = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir });
    domain = await openServerContext(server);
  });
  afterAll(async () => {
    await domain?.close();
    await server?.stop();
    await storage?.cleanup();
  });

  it('writes each mail to <data>/outbox as an .eml file and says so at start', async () => {
    const outbox = join(storage.dataDir, 'outbox');
    expect(server.logs()).toContain(`mail is written to ${outbox} (no --smtp-url set)`);
    const id = await enqueueMail(domain.ctx.store.db, domain.ctx.clock, {
      to: 'laptop@example.com',
      template: 'password-reset',
      data: { username: 'laptop', token: 'a'.repeat(43) },
    });
    const file = await waitFor('the outbox file', async () => readdirSync(outbox, { withFileTypes: true }).find((f) => f.name.startsWith(String(id).padStart(8, '0')))?.name);
    expect(file).toBe(`${String(id).padStart(8, '0')}-password-reset.eml`);
    const parsed = await simpleParser(readFileSync(join(outbox, file)));
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe('laptop@example.com');
    expect(parsed.text).toContain(`${server.url}/reset-password#token=${'a'.repeat(43)}`);
    expect(parsed.html).toContain('Choose a new password');
  });

  it('refuses a retry of a sent mail and bad options with a usage error', async () => {
    const [sent] = await listMail(domain.ctx.store.db, { status: 'sent' });
    expect(sent).toBeDefined();
    const again = await runCli(['admin', 'mail', 'retry', '--id', String(sent?.id)], server.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('was sent already; it is not sent twice');
    const neither = await runCli(['admin', 'mail', 'retry'], server.env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give either --id <id> or --all-failed');
  });
});
