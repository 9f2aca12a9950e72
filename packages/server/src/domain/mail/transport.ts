import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type StreamTransport from 'nodemailer/lib/stream-transport';
import { redactSmtpUrl, type MailConfig } from '../../config/mail-config.ts';

/** A mail ready for the wire. */
export interface OutgoingMail {
  /** Queue id: names the outbox file and makes the Message-ID stable across retries. */
  id: number;
  template: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface MailTransport {
  kind: 'smtp' | 'outbox';
  /** For messages: the SMTP server (without its password) or the outbox folder. */
  location: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Generous for a slow relay, short enough that the mail lease (60 s) outlives one send. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

function message(mail: OutgoingMail) {
  return { from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId };
}

/**
 * A nodemailer transporter made on the first mail: the library (0.4 MB) is
 * not loaded at start, where it would delay the server's first answer.
 */
function lazyTransporter(options: SMTPTransport.Options | StreamTransport.Options): { get(): Promise<Transporter>; close(): void } {
  let made: Transporter | undefined;
  let making: Promise<Transporter> | undefined;
  return {
    get: () =>
      (making ??= import('nodemailer').then(({ default: nodemailer }) => {
        made = nodemailer.createTransport(options);
        return made;
      })),
    close: () => made?.close(),
  };
}

/** SMTP when `--smtp-url` is set; else `.eml` files in the outbox folder, so every flow works on a laptop. */
export function createMailTransport(config: MailConfig): MailTransport {
  if (config.smtpUrl !== '') {
    const transporter = lazyTransporter({ url: config.smtpUrl, ...SMTP_TIMEOUTS });
    return {
      kind: 'smtp',
      location: redactSmtpUrl(config.smtpUrl),
      async send(mail) {
        await (await transporter.get()).sendMail(message(mail));
      },
      close: () => transporter.close(),
    };
  }
  const builder = lazyTransporter({ streamTransport: true, buffer: true, newline: 'unix' });
  const dir = config.outboxDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    kind: 'outbox',
    location: dir,
    async send(mail) {
      const info = (await (await builder.get()).sendMail(message(mail))) as { message: Buffer };
      // Named by queue id: a retry after a crash rewrites the same file, so each mail lands once.
      const file = join(dir, `${String(mail.id).padStart(8, '0')}-${mail.template}.eml`);
      const partial = `${file}.partial`;
      writeFileSync(partial, info.message, { mode: 0o600 });
      renameSync(partial, file);
    },
    close: () => builder.close(),
  };
}
