import type { Kysely } from 'kysely';
import type { MailQueueRow, MailStatus } from '../../store/mail.table.ts';
import type { Database } from '../../store/schema.ts';
import type { Clock } from '../clock.ts';
import { invalid, notFound } from '../errors.ts';
import { MAIL_TEMPLATES, type MailTemplateData, type MailTemplateName } from './templates/index.ts';

export interface QueuedMail<N extends MailTemplateName = MailTemplateName> {
  to: string;
  template: N;
  data: MailTemplateData<N>;
}

/**
 * THE way to send a mail: queues it; the mail worker sends it (with retries
 * and backoff) on whichever instance holds the mail lease. Never blocks on
 * SMTP and never fails because the mail server is down.
 *
 * Pass a transaction as `db` to queue the mail together with the change it
 * reports: it is then sent if and only if the change commits. The data is
 * checked against the template's schema here, so a bad mail fails its caller,
 * not the worker. Add templates in `templates/index.ts`.
 *
 * @example
 * await enqueueMail(trx, ctx.clock, { to: account.email, template: 'security-notice', data: { username, event: 'password_changed' } });
 */
export async function enqueueMail<N extends MailTemplateName>(db: Kysely<Database>, clock: Clock, mail: QueuedMail<N>): Promise<number> {
  const parsed = MAIL_TEMPLATES[mail.template].schema.safeParse(mail.data);
  if (!parsed.success) throw new Error(`Mail "${mail.template}" has invalid data: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const now = clock.now();
  const row = await db
    .insertInto('mail_queue')
    .values({
      recipient: mail.to,
      template: mail.template,
      data: JSON.stringify(parsed.data),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_error: null,
      created_at: now,
      sent_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface MailEntry {
  id: number;
  to: string;
  template: string;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export function toMailEntry(row: MailQueueRow): MailEntry {
  return {
    id: Number(row.id),
    to: row.recipient,
    template: row.template,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    lastError: row.last_error,
    createdAt: new Date(Number(row.created_at)),
    sentAt: row.sent_at === null ? null : new Date(Number(row.sent_at)),
  };
}

/** The newest mails first, optionally of one status or recipient. */
export async function listMail(
  db: Kysely<Database>,
  filter: { status?: MailStatus; to?: string; limit?: number } = {},
): Promise<MailEntry[]> {
  let query = db.selectFrom('mail_queue').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 100);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.to !== undefined) query = query.where('recipient', '=', filter.to.trim().toLowerCase());
  return (await query.execute()).map(toMailEntry);
}

/**
 * Puts failed (or still pending) mails back to be sent at once, with a fresh
 * set of attempts: one by id, or every failed one. A sent mail is never sent again.
 */
export async function retryMail(db: Kysely<Database>, clock: Clock, target: { id: number } | { allFailed: true }): Promise<number> {
  let query = db.updateTable('mail_queue').set({ status: 'pending', attempts: 0, next_attempt_at: clock.now() });
  if ('id' in target) {
    const row = await db.selectFrom('mail_queue').select('status').where('id', '=', target.id).executeTakeFirst();
    if (row === undefined) throw notFound(`No mail with id ${target.id}`);
    if (row.status === 'sent') throw invalid(`Mail ${target.id} was sent already; it is not sent twice`);
    query = query.where('id', '=', target.id);
  } else {
    query = query.where('status', '=', 'failed');
  }
  const result = await query.where('status', '!=', 'sent').executeTakeFirst();
  return Number(result.numUpdatedRows);
}
