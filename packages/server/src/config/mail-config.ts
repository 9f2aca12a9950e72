import { join } from 'node:path';

export interface MailConfig {
  /** `smtp://user:pass@host:587` or `smtps://…:465`; empty: write mails to `outboxDir`. */
  smtpUrl: string;
  /** The From header. */
  from: string;
  /** Where mails go without SMTP: `<data>/outbox`. */
  outboxDir: string;
}

export interface MailConfigInput {
  smtpUrl?: string | undefined;
  mailFrom?: string | undefined;
}

export function buildMailConfig(input: MailConfigInput, dataDir: string, siteUrl: string): MailConfig {
  const smtpUrl = (input.smtpUrl ?? '').trim();
  if (smtpUrl !== '' && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error('--smtp-url must start with smtp:// (STARTTLS when offered) or smtps:// (TLS from the start)');
  }
  let host = 'localhost';
  try {
    host = new URL(siteUrl).hostname || host;
  } catch {
    // The default sender then uses localhost.
  }
  const from = (input.mailFrom ?? '').trim() || `rotki premium <no-reply@${host}>`;
  return { smtpUrl, from, outboxDir: join(dataDir, 'outbox') };
}

/** The SMTP URL without its password, for messages and the console. */
export function redactSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'an unparsable SMTP URL';
  }
}
