import { messages } from '@rotki-premium/protocol';
import {
  ADMIN_API_PATHS,
  AuditList,
  CustomerDetail,
  EventList,
  MailList,
  MailView,
  ProviderEventView,
  CustomerSearchResult,
  SystemView,
  customerActionPath,
  customerPath,
  eventReplayPath,
  mailRetryPath,
} from '@rotki-premium/protocol/admin-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test-support/databases.ts';
import { openServerContext, type ServerContext } from '../../../test-support/server-context.ts';
import { createTestStorage, startServer, type ServerHandle, type Subscriber, type TestStorage } from '../../../test-support/server-process.ts';
import { findAccountByUsername } from '../src/domain/accounts.ts';
import { loadMasterKey } from '../src/domain/keyring.ts';
import { enqueueMail } from '../src/domain/mail/queue.ts';
import { storeEventOnce } from '../src/domain/payments/provider-events.ts';
import { expireSubscription } from '../src/domain/subscriptions.ts';
import { ConsoleSession } from './support/console-session.ts';
import { call, ENDPOINTS } from './support/rotki-app.ts';

function monthsLater(from: Date, months: number): string {
  const date = new Date(from);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

for (const dialect of DIALECTS) {
  describe(`the console API (${dialect})`, () => {
    let storage: TestStorage;
    let server: ServerHandle;
    let domain: ServerContext;
    const operators: Record<'admin' | 'support', { password: string; secret?: string }> = {
      admin: { password: '' },
      support: { password: '' },
    };
    const names = { admin: `ada${dialect}`, support: `sam${dialect}` };

    beforeAll(async () => {
      storage = await createTestStorage(dialect);
      server = await startServer({ dialect, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, env: { ROTKI_PREMIUM_LOGIN_RATE_LIMIT: '500' } });
      domain = await openServerContext(server);
      for (const role of ['admin', 'support'] as const) {
        const created = await server.admin(['admin', 'operator', 'create', '--username', names[role], '--email', `${role}@ops.example`, '--role', role]);
        expect(created).toMatchObject({ username: names[role], role, second_factor: false });
        operators[role].password = String(created.password);
      }
      // Starting a server and hashing passwords (scrypt) takes long on a loaded machine.
    }, 180_000);
    afterAll(async () => {
      await domain?.close();
      await server?.stop();
      await storage?.cleanup();
    });

    const sessions = new Map<string, ConsoleSession>();
    /**
     * One signed-in console per role, reused: a TOTP code is accepted once, so
     * a second sign-in needs the next 30-second code (`step`).
     */
    async function signedIn(role: 'admin' | 'support', step = 0): Promise<ConsoleSession> {
      const existing = sessions.get(role);
      if (existing !== undefined) return existing;
      const session = new ConsoleSession(server.url);
      const { secret } = await session.signIn(names[role], operators[role].password, operators[role].secret, step);
      operators[role].secret = secret;
      sessions.set(role, session);
      return session;
    }

    it('signs an operator in with the password and then the authenticator set up at the first sign-in', async () => {
      const browser = new ConsoleSession(server.url);
      expect((await browser.request('GET', ADMIN_API_PATHS.session)).status).toBe(401);
      const wrong = await browser.request('POST', ADMIN_API_PATHS.session, { username: names.admin, password: 'not it' });
      expect(wrong.status).toBe(401);
      expect(wrong.json).toEqual({ error: { code: 'wrong_credentials', message: 'Wrong operator name or password.' } });
      // Without the page's CSRF token nothing is accepted, not even a sign-in.
      expect((await browser.request('POST', ADMIN_API_PATHS.session, { username: names.admin, password: operators.admin.password }, { csrf: null })).status).toBe(403);

      const first = await browser.request('POST', ADMIN_API_PATHS.session, { username: names.admin, password: operators.admin.password });
      expect(first.status).toBe(200);
      const enrol = first.json as { next: string; secret: string; otpauthUri: string };
      expect(enrol.next).toBe('enrol');
      expect(enrol.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
      // The password alone opens nothing.
      expect((await browser.request('GET', ADMIN_API_PATHS.dashboard)).status).toBe(401);
      const badCode = await browser.request('POST', ADMIN_API_PATHS.sessionTotp, { code: '000000' });
      expect(badCode.status).toBe(401);
      expect((badCode.json as { error: { code: string } }).error.code).toBe('wrong_code');
      const { totpCode } = await import('../src/domain/second-factor/totp.ts');
      const code = totpCode(enrol.secret, Date.now());
      const done = await browser.request('POST', ADMIN_API_PATHS.sessionTotp, { code });
      expect(done.status).toBe(200);
      expect(done.json).toMatchObject({ operator: { username: names.admin, role: 'admin', email: 'admin@ops.example' } });
      operators.admin.secret = enrol.secret;
      expect((await browser.request('GET', ADMIN_API_PATHS.session)).status).toBe(200);

      // The same code a second time is refused: a code works once.
      const again = new ConsoleSession(server.url);
      expect((await again.request('POST', ADMIN_API_PATHS.session, { username: names.admin, password: operators.admin.password })).json).toMatchObject({ next: 'totp' });
      expect((await again.request('POST', ADMIN_API_PATHS.sessionTotp, { code })).status).toBe(401);

      const listed = await server.admin(['admin', 'operator', 'list']);
      expect(listed.operators).toContainEqual(expect.objectContaining({ username: names.admin, second_factor: true }));

      // Sign-out ends the session on the server.
      expect((await browser.request('DELETE', ADMIN_API_PATHS.session)).status).toBe(200);
      expect((await browser.request('GET', ADMIN_API_PATHS.session)).status).toBe(401);
    });

    it('lets only admins open tiers and prices', async () => {
      const support = await signedIn('support');
      const refused = await support.request('GET', ADMIN_API_PATHS.tiers);
      expect(refused.status).toBe(403);
      expect((refused.json as { error: { code: string } }).error.code).toBe('role_forbidden');
      expect((await support.request('PUT', `${ADMIN_API_PATHS.tiers}/1`, {})).status).toBe(403);
      const admin = await signedIn('admin', 1);
      const tiers = await admin.request('GET', ADMIN_API_PATHS.tiers);
      expect(tiers.status).toBe(200);
      const listed = (tiers.json as { tiers: (Record<string, unknown> & { id: number; name: string; backupVersions: number })[] }).tiers;
      expect(listed.map((t) => [t.name, t.backupVersions])).toEqual([
        ['Supporter', 0],
        ['Basic', 3],
        ['Advanced', 10],
      ]);

      // Backup versions kept: the impact says what changes before saving, then the limit is saved.
      const basic = listed[1]!;
      const { id: _id, name: _name, order: _order, currency: _currency, activeSubscribers: _active, ...fields } = basic;
      const change = { ...fields, monthlyPriceMinor: basic.monthlyPriceMinor ?? 0, yearlyPriceMinor: basic.yearlyPriceMinor ?? 0, backupVersions: 2 };
      const impact = await admin.request('POST', `${ADMIN_API_PATHS.tiers}/${basic.id}/impact`, change);
      expect((impact.json as { effects: string[] }).effects).toContainEqual(
        expect.stringMatching(/^The backup versions kept goes down from 3 to 2 for \d+ active Basic subscribers?, at their next request\.$/),
      );
      const tooMany = await admin.request('PUT', `${ADMIN_API_PATHS.tiers}/${basic.id}`, { ...change, backupVersions: 101 });
      expect(tooMany.status).toBe(400);
      const saved = await admin.request('PUT', `${ADMIN_API_PATHS.tiers}/${basic.id}`, change);
      expect(saved.json).toMatchObject({ name: 'Basic', backupVersions: 2 });
      expect((await admin.request('PUT', `${ADMIN_API_PATHS.tiers}/${basic.id}`, { ...change, backupVersions: 3 })).status).toBe(200);
    });

    it('finds a customer by API-key prefix, grants 12 months the app sees at its next check, suspends and unsuspends, all audited by name', async () => {
      const who: Subscriber = await domain.createSubscriber('Basic');
      const account = await findAccountByUsername(domain.ctx, who.username);
      await expireSubscription(domain.ctx, account!.id);
      const before = await call(server.url, who, ENDPOINTS.limits);
      expect(before.status).toBe(403);
      expect((before.json as { error: string }).error).toMatch(/^Your rotki premium subscription is not active: it ended on /);

      const support = await signedIn('support');
      const found = CustomerSearchResult.parse((await support.request('GET', `${ADMIN_API_PATHS.customers}?q=${encodeURIComponent(who.apiKey.slice(0, 12))}`)).json);
      expect(found.customers).toEqual([expect.objectContaining({ username: who.username, matchedOn: 'api_key', suspended: false })]);
      const id = found.customers[0]!.id;

      const granted = await support.request('POST', customerActionPath(id, 'grant'), { tier: 'Advanced', months: 12 });
      expect(granted.status).toBe(200);
      const detail = CustomerDetail.parse(granted.json);
      expect(detail.subscription).toMatchObject({ tier: 'Advanced', status: 'active', isActive: true });
      expect(detail.subscription?.periodEnd.slice(0, 10)).toBe(monthsLater(new Date(), 12));
      // The secret never reaches the console: only the key's first characters.
      expect(JSON.stringify(detail)).not.toContain(who.apiSecret);
      expect(JSON.stringify(detail)).not.toContain(who.apiKey);
      expect(detail.credentials?.apiKeyPrefix).toBe(who.apiKey.slice(0, 12));
      const after = await call(server.url, who, ENDPOINTS.limits);
      expect(after.status).toBe(200);
      expect((after.json as { current_tier: string }).current_tier).toBe('Advanced');

      const noReason = await support.request('POST', customerActionPath(id, 'suspend'), { reason: ' ' });
      expect(noReason.status).toBe(400);
      expect((await support.request('POST', customerActionPath(id, 'suspend'), { reason: 'charge-back on the last payment' })).status).toBe(200);
      for (const endpoint of [ENDPOINTS.limits, ENDPOINTS.lastDataMetadata]) {
        const refused = await call(server.url, who, endpoint);
        expect(refused.status).toBe(endpoint === ENDPOINTS.limits ? 403 : 401);
        expect(refused.json).toEqual({ error: messages.accountSuspended(), code: 'account_suspended' });
      }
      expect((await support.request('POST', customerActionPath(id, 'unsuspend'))).status).toBe(200);
      expect((await call(server.url, who, ENDPOINTS.limits)).status).toBe(200);

      const audit = AuditList.parse((await support.request('GET', `${ADMIN_API_PATHS.audit}?account=${who.username}`)).json);
      const byOperator = audit.entries.filter((e) => e.operator === names.support).map((e) => e.action);
      expect(byOperator).toEqual(['account.unsuspended', 'account.suspended', 'subscription.granted']);
      expect(audit.entries.find((e) => e.action === 'account.suspended')?.detail).toEqual({ reason: 'charge-back on the last payment' });

      const csv = await support.request('GET', `${ADMIN_API_PATHS.auditCsv}?account=${who.username}&operator=${names.support}`);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('time,action,account,operator,ip,detail');
      expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['"account.unsuspended"', '"account.suspended"', '"subscription.granted"']);
    });

    it('removes a device, revokes credentials and ends website sessions for a customer', async () => {
      const who = await domain.createSubscriber('Basic');
      const support = await signedIn('support');
      const { id } = CustomerSearchResult.parse((await support.request('GET', `${ADMIN_API_PATHS.customers}?q=${who.username}`)).json).customers[0]!;
      expect((await support.request('POST', customerActionPath(id, 'revoke-credentials'))).status).toBe(200);
      const refused = await call(server.url, who, ENDPOINTS.limits);
      expect(refused.status).toBe(403);
      expect((refused.json as { code: string }).code).toBe('unknown_api_key');
      const detail = CustomerDetail.parse((await support.request('GET', customerPath(id))).json);
      expect(detail.credentials).toBeNull();
      expect(detail.audit[0]).toMatchObject({ action: 'credentials.revoked', operator: names.support });
      const ended = await support.request('POST', customerActionPath(id, 'end-sessions'));
      expect(ended.status).toBe(200);
      expect((await support.request('DELETE', `${customerPath(id)}/devices/999999`)).status).toBe(404);
      expect((await support.request('GET', customerPath(999_999))).status).toBe(404);
    });

    it('lists payment events with their outcome and lets admins (only) replay one, audited by name', async () => {
      const eventId = `evt_console_${dialect}_${Date.now()}`;
      const payload = JSON.stringify({ id: eventId, object: 'event', type: 'customer.created', created: 1_700_000_000, data: { object: {} } });
      const stored = await storeEventOnce(domain.ctx, { provider: 'stripe', eventId, type: 'customer.created', payload, occurredAt: 1_700_000_000_000 });
      const support = await signedIn('support');
      const listed = EventList.parse((await support.request('GET', `${ADMIN_API_PATHS.events}?status=received`)).json);
      expect(listed.events.find((e) => e.eventId === eventId)).toMatchObject({ id: stored.id, status: 'received', attempts: 0, provider: 'stripe' });
      expect((await support.request('POST', eventReplayPath(stored.id))).status).toBe(403);

      const admin = await signedIn('admin');
      const replayed = ProviderEventView.parse((await admin.request('POST', eventReplayPath(stored.id))).json);
      expect(replayed).toMatchObject({ id: stored.id, status: 'ignored', attempts: 1, outcome: 'customer.created is not an event this server acts on' });
      expect((await admin.request('POST', eventReplayPath(999_999_999))).status).toBe(404);
      const audit = AuditList.parse((await admin.request('GET', `${ADMIN_API_PATHS.audit}?action=provider_event.replayed`)).json);
      expect(audit.entries[0]).toMatchObject({ operator: names.admin, detail: { eventId, status: 'ignored' } });
    });

    it('lists the mail queue and retries a failed mail, which the queue then sends once; a sent mail is not retried', async () => {
      const to = `mail-${dialect}-${Date.now()}@example.com`;
      const id = await enqueueMail(domain.ctx.store.db, domain.ctx.clock, { to, template: 'security-notice', data: { username: 'mailtest', event: 'password_changed' } });
      await domain.ctx.store.db.updateTable('mail_queue').set({ status: 'failed', attempts: 8, last_error: 'connection refused' }).where('id', '=', id).execute();
      const support = await signedIn('support');
      const failed = MailList.parse((await support.request('GET', `${ADMIN_API_PATHS.mail}?status=failed&to=${encodeURIComponent(to)}`)).json);
      expect(failed.mails).toEqual([expect.objectContaining({ id, to, status: 'failed', attempts: 8, lastError: 'connection refused' })]);

      const retried = MailView.parse((await support.request('POST', mailRetryPath(id))).json);
      expect(retried).toMatchObject({ id, status: 'pending', attempts: 0 });
      let sent: MailView | undefined;
      for (let i = 0; i < 600 && sent?.status !== 'sent'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        sent = MailList.parse((await support.request('GET', `${ADMIN_API_PATHS.mail}?to=${encodeURIComponent(to)}`)).json).mails[0];
      }
      expect(sent).toMatchObject({ id, status: 'sent' });
      const again = await support.request('POST', mailRetryPath(id));
      expect(again.status).toBe(400);
      expect(JSON.stringify(again.json)).toContain('not sent twice');
      const audit = AuditList.parse((await support.request('GET', `${ADMIN_API_PATHS.audit}?action=mail.retried`)).json);
      expect(audit.entries[0]).toMatchObject({ operator: names.support, detail: { id } });
    });

    it('shows the system: version, stores, migrations, this instance and the master-key fingerprint', async () => {
      const support = await signedIn('support');
      const system = SystemView.parse((await support.request('GET', ADMIN_API_PATHS.system)).json);
      expect(system.database.dialect).toBe(dialect);
      expect(system.blobStore.kind).toBe('file');
      expect(system.migrations.pending).toEqual([]);
      expect(system.migrations.applied.map((m) => m.name)).toEqual(expect.arrayContaining(['013-operators', '014-account-suspension', '015-instance-telemetry']));
      expect(system.instances).toHaveLength(1);
      expect(system.instances[0]?.pid).toBe(server.process.pid);
      expect(system.masterKey.fingerprint).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/);
      // The database's check value for its master key (issue 8), which this instance holds; never the key.
      const recorded = await domain.ctx.store.db.selectFrom('master_keys').select('fingerprint').where('state', '=', 'current').executeTakeFirstOrThrow();
      expect(system.masterKey).toEqual({ fingerprint: recorded.fingerprint, heldHere: true, retired: 0 });
      expect(system.masterKey.fingerprint).toBe(domain.ctx.keyRing.fingerprint());
      const key = loadMasterKey(undefined, server.dataDir);
      for (const form of [key.toString('hex'), key.toString('base64')]) expect(JSON.stringify(system)).not.toContain(form);
      expect(system.migrations.applied.map((m) => m.name)).toContain('018-refunds');
      expect(JSON.stringify(system)).not.toMatch(/postgres:\/\/[^@]*:[^@*]+@/);
      expect(system.mail.status).toMatch(/^Mail is written to .*outbox \(no SMTP server set\); \d+ waiting, \d+ failed\.$/);
      expect(system.payments.status).toMatch(/^No payment method is offered: the operator records payments\. \d+ provider events? failed\.$/);
      expect(system.devices.status).toBe('A device unseen for 90 days is stale; a registration at the device limit is refused (--replace-stale-devices is off).');
    });
  });
}
