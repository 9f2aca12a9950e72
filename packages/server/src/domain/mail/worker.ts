import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../../store/database.ts';
import type { Clock } from '../clock.ts';
import { acquireLease, releaseLease } from '../leases.ts';
import { renderMail } from './layout.ts';
import { MAIL_TEMPLATES, isMailTemplateName } from './templates/index.ts';
import type { MailTransport } from './transport.ts';

export const MAIL_LEASE = 'mail-drain';
const LEASE_TTL_MS = 60_000;
/** Attempts before a mail is marked failed (the operator can retry it). */
export const MAX_MAIL_ATTEMPTS = 8;
const BATCH = 20;

/** 30 s after the first failure, doubling, at most an hour apart: 8 attempts span about an hour and a half. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export interface MailWorkerDeps {
  store: Store;
  clock: Clock;
  transport: MailTransport;
  from: string;
  /** Read at send time, so a site URL fixed after start (port 0) is used in links. */
  siteUrl: () => string;
  log?: Pick<Logger, 'warn' | 'info'>;
  /** This instance's lease identity. */
  holder?: string;
}

function messageIdHost(siteUrl: string): string {
  try {
    return new URL(siteUrl).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

/**
 * Sends the due mails once, if this instance holds (or takes) the mail lease;
 * returns how many were sent. A mail is marked sent right after the transport
 * accepted it; should the process die in between, the mail is sent again with
 * the same Message-ID (and, in the outbox, into the same file).
 */
export async function drainMailQueue(deps: MailWorkerDeps): Promise<number> {
  const { store, clock } = deps;
  const holder = deps.holder ?? 'this-process';
  if (!(await acquireLease(store.db, MAIL_LEASE, holder, clock.now(), LEASE_TTL_MS))) return 0;
  const due = await store.db
    .selectFrom('mail_queue')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', clock.now())
    .orderBy('id')
    .limit(BATCH)
    .execute();
  let sent = 0;
  for (const row of due) {
    // Renewed before each mail: a slow relay cannot let the lease lapse under a send.
    if (!(await acquireLease(store.db, MAIL_LEASE, holder, clock.now(), LEASE_TTL_MS))) break;
    const id = Number(row.id);
    const attempts = row.attempts + 1;
    try {
      if (!isMailTemplateName(row.template)) throw new Error(`unknown template "${row.template}"`);
      const template = MAIL_TEMPLATES[row.template];
      const siteUrl = deps.siteUrl();
      const data = template.schema.parse(JSON.parse(row.data)) as never;
      const rendered = renderMail(template.render(data, { siteUrl }), { siteUrl });
      await deps.transport.send({
        id,
        template: row.template,
        from: deps.from,
        to: row.recipient,
        ...rendered,
        messageId: `<mail-${id}@${messageIdHost(siteUrl)}>`,
      });
      await store.db
        .updateTable('mail_queue')
        .set({ status: 'sent', attempts, sent_at: clock.now(), last_error: null })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
      sent += 1;
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      const failed = attempts >= MAX_MAIL_ATTEMPTS;
      await store.db
        .updateTable('mail_queue')
        .set({ status: failed ? 'failed' : 'pending', attempts, last_error: reason, next_attempt_at: clock.now() + retryDelayMs(attempts) })
        .where('id', '=', id)
        .execute();
      deps.log?.warn({ mailId: id, template: row.template, attempts, gaveUp: failed, reason }, 'mail not sent');
    }
  }
  return sent;
}

export interface MailWorker {
  /** Drains now (after a mail was queued by this instance), without waiting for the next tick. */
  kick(): void;
  stop(): Promise<void>;
}

/** Drains the queue every `intervalMs` on whichever instance holds the lease. */
export function startMailWorker(deps: MailWorkerDeps, intervalMs = 1_000): MailWorker {
  const holder = deps.holder ?? `instance-${randomBytes(8).toString('hex')}`;
  const run = { ...deps, holder };
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (running !== null) {
      again = true;
      return;
    }
    running = drainMailQueue(run)
      .then(() => undefined)
      .catch((error: unknown) => deps.log?.warn({ err: error }, 'mail drain failed'))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          tick();
        }
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    kick: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await releaseLease(deps.store.db, MAIL_LEASE, holder).catch(() => undefined);
      deps.transport.close();
    },
  };
}
