import { Option, type Command } from 'commander';
import type { DomainContext } from './domain/context.ts';
import { invalid } from './domain/errors.ts';
import { listMail, retryMail, type MailEntry } from './domain/mail/queue.ts';
import type { MailStatus } from './store/mail.table.ts';

interface CommonOptions {
  data?: string;
  database?: string;
  json?: boolean;
}

export interface AdminCommandHelpers {
  storeOptions(command: Command): Command;
  jsonOption(command: Command): Command;
  print(json: boolean | undefined, human: string, object: Record<string, unknown>): void;
  withContext<T>(options: CommonOptions, work: (ctx: DomainContext) => Promise<T>): Promise<T>;
}

function mailJson(mail: MailEntry) {
  return {
    id: mail.id,
    to: mail.to,
    template: mail.template,
    status: mail.status,
    attempts: mail.attempts,
    next_attempt_at: mail.status === 'pending' ? mail.nextAttemptAt.toISOString() : null,
    last_error: mail.lastError,
    created_at: mail.createdAt.toISOString(),
    sent_at: mail.sentAt?.toISOString() ?? null,
  };
}

function mailLine(mail: MailEntry): string {
  const when = (mail.sentAt ?? mail.createdAt).toISOString();
  const state = mail.status === 'pending' && mail.attempts > 0 ? `pending (attempt ${mail.attempts + 1} at ${mail.nextAttemptAt.toISOString()})` : mail.status;
  const error = mail.lastError === null || mail.status === 'sent' ? '' : `  last error: ${mail.lastError}`;
  return `${String(mail.id).padStart(6)}  ${when}  ${state.padEnd(10)} ${mail.template.padEnd(20)} ${mail.to}${error}`;
}

/** `admin mail list` and `admin mail retry`: what the queue holds, and a second chance for failed mails. */
export function registerMailCommands(admin: Command, helpers: AdminCommandHelpers): void {
  const mail = admin.command('mail').description('the outgoing mail queue');

  helpers
    .jsonOption(
      helpers.storeOptions(
        mail
          .command('list')
          .description('queued, sent and failed mails, newest first')
          .addOption(new Option('--status <status>', 'only mails in this state').choices(['pending', 'sent', 'failed']).env('ROTKI_PREMIUM_MAIL_STATUS'))
          .addOption(new Option('--to <address>', 'only mails to this address').env('ROTKI_PREMIUM_MAIL_TO'))
          .addOption(new Option('--limit <n>', 'how many').env('ROTKI_PREMIUM_MAIL_LIMIT').default('50')),
      ),
    )
    .action(async (options: CommonOptions & { status?: MailStatus; to?: string; limit: string }) => {
      if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1) throw invalid(`--limit must be a whole number ≥ 1, got "${options.limit}"`);
      await helpers.withContext(options, async (ctx) => {
        const mails = await listMail(ctx.store.db, {
          limit: Number(options.limit),
          ...(options.status === undefined ? {} : { status: options.status }),
          ...(options.to === undefined ? {} : { to: options.to }),
        });
        helpers.print(options.json, mails.length === 0 ? 'No mails' : mails.map(mailLine).join('\n'), { mails: mails.map(mailJson) });
      });
    });

  helpers
    .jsonOption(
      helpers.storeOptions(
        mail
          .command('retry')
          .description('send failed mails again: one (--id) or every failed one (--all-failed)')
          .addOption(new Option('--id <id>', 'the mail id from admin mail list').env('ROTKI_PREMIUM_MAIL_ID'))
          .addOption(new Option('--all-failed', 'every mail that gave up').env('ROTKI_PREMIUM_MAIL_ALL_FAILED')),
      ),
    )
    .action(async (options: CommonOptions & { id?: string; allFailed?: boolean }) => {
      if ((options.id === undefined) === (options.allFailed !== true)) throw invalid('give either --id <id> or --all-failed');
      if (options.id !== undefined && !/^\d+$/.test(options.id)) throw invalid(`--id must be a mail id, got "${options.id}"`);
      await helpers.withContext(options, async (ctx) => {
        const count = await retryMail(ctx.store.db, ctx.clock, options.id === undefined ? { allFailed: true } : { id: Number(options.id) });
        helpers.print(options.json, `${count} mail(s) queued to be sent again; a running server sends them within seconds`, { requeued: count });
      });
    });
}
