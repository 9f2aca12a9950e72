import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '../src/domain/leases.ts';
import { escapeHtml, renderMail } from '../src/domain/mail/layout.ts';
import { enqueueMail, listMail, retryMail } from '../src/domain/mail/queue.ts';
import { MAIL_TEMPLATES, type MailTemplateName } from '../src/domain/mail/templates/index.ts';
import { createMailTransport, type MailTransport } from '../src/domain/mail/transport.ts';
import { MAX_MAIL_ATTEMPTS, drainMailQueue, retryDelayMs, type MailWorkerDeps } from '../src/domain/mail/worker.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

const SITE = { siteUrl: 'https://premium.example.test' };
const TOKEN = 'tok_'.padEnd(43, 'x');

const SAMPLE_DATA: { [N in MailTemplateName]: unknown } = {
  'verify-email': { username: 'alice', token: TOKEN },
  'signup-attempt': { username: 'alice' },
  'password-reset': { username: 'alice', token: TOKEN },
  'email-change-verify': { username: 'alice', token: TOKEN, newEmail: 'new@example.com' },
  'email-changed': { username: 'alice', newEmail: 'new@example.com' },
  'account-deleted': { username: 'alice' },
  'security-notice': { username: 'alice', event: 'device_registered', detail: 'Laptop' },
  'payment-receipt': { username: 'alice', plan: 'Basic', until: '2027-12-02T10:00:00.000Z', amount: '€214.20', invoiceNumber: 'INV-000001', method: 'bank transfer' },
  'renewal-reminder': { username: 'alice', plan: 'Basic', until: '2027-12-02T10:00:00.000Z', period: 'yearly' },
  'subscription-expiring': { username: 'alice', plan: 'Basic', until: '2027-12-02T10:00:00.000Z' },
  'payment-failed': { username: 'alice', plan: 'Basic', until: '2027-12-09T10:00:00.000Z' },
  'subscription-expired': { username: 'alice', plan: 'Basic' },
};

/** A port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('mail templates', () => {
  it.each(Object.keys(MAIL_TEMPLATES) as MailTemplateName[])('%s renders a subject, a plain-text and an HTML part', (name) => {
    const template = MAIL_TEMPLATES[name];
    const data = template.schema.parse(SAMPLE_DATA[name]) as never;
    const mail = renderMail(template.render(data, SITE), SITE);
    expect(mail.subject.length).toBeGreaterThan(5);
    expect(mail.text).toContain('Hello alice,');
    expect(mail.html).toContain('Hello alice,');
    expect(mail.html).toMatch(/^<!doctype html>/);
    for (const link of mail.text.match(/https?:\/\/\S+/g) ?? []) expect(link.startsWith(SITE.siteUrl)).toBe(true);
  });

  it('carries tokens in the link fragment, never in the query', () => {
    const mail = renderMail(MAIL_TEMPLATES['verify-email'].render({ username: 'alice', token: TOKEN }, SITE), SITE);
    expect(mail.text).toContain(`${SITE.siteUrl}/verify-email#token=${TOKEN}`);
    expect(mail.text).not.toContain('?token');
  });

  it('escapes what the data holds in the HTML part', () => {
    const mail = renderMail(
      MAIL_TEMPLATES['security-notice'].render({ username: '<b>x</b>', event: 'passkey_added', detail: '"><script>alert(1)</script>' }, SITE),
      SITE,
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>x</b>');
    expect(mail.html).toContain(escapeHtml('"><script>alert(1)</script>'));
    expect(mail.text).toContain('<b>x</b>');
  });
});

describe('the mail queue', () => {
  let tc: TestContext;
  let outbox: string;
  let outboxTransport: MailTransport;

  beforeAll(async () => {
    tc = await createTestContext();
    outbox = mkdtempSync(join(tmpdir(), 'rotki-premium-outbox-'));
    outboxTransport = createMailTransport({ smtpUrl: '', from: 'rotki premium <no-reply@example.test>', outboxDir: outbox });
  });
  afterAll(async () => {
    await tc.cleanup();
    rmSync(outbox, { recursive: true, force: true });
  });

  function deps(transport: MailTransport, holder = 'a'): MailWorkerDeps {
    return { store: tc.ctx.store, clock: tc.clock, transport, from: 'rotki premium <no-reply@example.test>', siteUrl: () => SITE.siteUrl, holder };
  }

  it('refuses a mail whose data does not fit its template, at enqueue time', async () => {
    await expect(
      enqueueMail(tc.ctx.store.db, tc.clock, { to: 'a@example.com', template: 'verify-email', data: { username: 'a', token: 'short' } }),
    ).rejects.toThrow(/Mail "verify-email" has invalid data/);
  });

  it('writes a queued mail to the outbox as an .eml with both parts, once', async () => {
    const id = await enqueueMail(tc.ctx.store.db, tc.clock, { to: 'bob@example.com', template: 'verify-email', data: { username: 'bob', token: TOKEN } });
    expect(await drainMailQueue(deps(outboxTransport))).toBe(1);
    expect(await drainMailQueue(deps(outboxTransport))).toBe(0);
    const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(files).toEqual([`${String(id).padStart(8, '0')}-verify-email.eml`]);
    const parsed = await simpleParser(readFileSync(join(outbox, files[0] as string)));
    expect(parsed.subject).toBe('Confirm your e-mail address for rotki premium');
    expect(parsed.text).toContain(`${SITE.siteUrl}/verify-email#token=${TOKEN}`);
    expect(parsed.html).toContain('Confirm e-mail address');
    expect(parsed.messageId).toBe(`<mail-${id}@premium.example.test>`);
    const [entry] = await listMail(tc.ctx.store.db, { to: 'bob@example.com' });
    expect(entry).toMatchObject({ id, status: 'sent', attempts: 1, lastError: null });
  });

  it('retries with a growing delay when the relay is down, then gives up and waits for the operator', async () => {
    const down = createMailTransport({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: 'x <x@example.test>', outboxDir: outbox });
    const id = await enqueueMail(tc.ctx.store.db, tc.clock, { to: 'carol@example.com', template: 'signup-attempt', data: { username: 'carol' } });
    expect(await drainMailQueue(deps(down))).toBe(0);
    let [entry] = await listMail(tc.ctx.store.db, { to: 'carol@example.com' });
    expect(entry).toMatchObject({ id, status: 'pending', attempts: 1 });
    expect(entry?.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(entry?.nextAttemptAt.getTime()).toBe(tc.clock.now() + 30_000);

    // Not before its time.
    tc.clock.advance(29_000);
    await drainMailQueue(deps(down));
    expect((await listMail(tc.ctx.store.db, { to: 'carol@example.com' }))[0]?.attempts).toBe(1);

    for (let attempt = 1; attempt < MAX_MAIL_ATTEMPTS; attempt += 1) {
      tc.clock.advance(retryDelayMs(attempt));
      await drainMailQueue(deps(down));
    }
    [entry] = await listMail(tc.ctx.store.db, { to: 'carol@example.com' });
    expect(entry).toMatchObject({ status: 'failed', attempts: MAX_MAIL_ATTEMPTS });
    expect(retryDelayMs(1)).toBe(30_000);
    expect(retryDelayMs(2)).toBe(60_000);
    expect(retryDelayMs(20)).toBe(3_600_000);

    // The operator retries it once the relay is back: it goes out at the next drain.
    expect(await retryMail(tc.ctx.store.db, tc.clock, { allFailed: true })).toBe(1);
    expect(await drainMailQueue(deps(outboxTransport))).toBe(1);
    [entry] = await listMail(tc.ctx.store.db, { to: 'carol@example.com' });
    expect(entry?.status).toBe('sent');
    await expect(retryMail(tc.ctx.store.db, tc.clock, { id })).rejects.toThrow(/was sent already/);
    await expect(retryMail(tc.ctx.store.db, tc.clock, { id: 999_999 })).rejects.toThrow(/No mail with id/);
  });

  it('lets only the lease holder drain; the lease passes on when it expires', async () => {
    const now = tc.clock.now();
    expect(await acquireLease(tc.ctx.store.db, 'test-job', 'one', now, 60_000)).toBe(true);
    expect(await acquireLease(tc.ctx.store.db, 'test-job', 'two', now + 1_000, 60_000)).toBe(false);
    expect(await acquireLease(tc.ctx.store.db, 'test-job', 'one', now + 2_000, 60_000)).toBe(true);
    expect(await acquireLease(tc.ctx.store.db, 'test-job', 'two', now + 61_000, 60_000)).toBe(false);
    expect(await acquireLease(tc.ctx.store.db, 'test-job', 'two', now + 62_000, 60_000)).toBe(true);

    // The earlier tests' drainer ('a') held the mail lease; it lapses a minute after its last drain.
    tc.clock.advance(61_000);
    await enqueueMail(tc.ctx.store.db, tc.clock, { to: 'dave@example.com', template: 'account-deleted', data: { username: 'dave' } });
    expect(await drainMailQueue(deps(outboxTransport, 'first'))).toBe(1);
    await enqueueMail(tc.ctx.store.db, tc.clock, { to: 'dave@example.com', template: 'account-deleted', data: { username: 'dave' } });
    expect(await drainMailQueue(deps(outboxTransport, 'second'))).toBe(0);
    expect(await drainMailQueue(deps(outboxTransport, 'first'))).toBe(1);
  });
});
