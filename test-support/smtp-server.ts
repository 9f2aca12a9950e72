import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';

/**
 * A real SMTP server for the tests (the `smtp-server` package, in a process of
 * its own on 127.0.0.1 with a free port); what it receives is read back with
 * `mailparser`, so tests see mails as a mail client would and follow their links.
 */

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Every http(s) link of the plain-text part. */
  links: string[];
}

export interface SmtpServer {
  /** `smtp://user:pass@127.0.0.1:port`: what `--smtp-url` takes. */
  url: string;
  port: number;
  /** Every mail received so far, oldest first. */
  received(): Promise<ReceivedMail[]>;
  /** Waits for a mail to `to` (and matching `subject`) that was not returned before; the newest such. */
  waitForMail(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export interface SmtpServerOptions {
  user?: string;
  pass?: string;
  /** Answer the first N messages with 451. */
  failFirst?: number;
}

const MAIN = join(import.meta.dirname, 'smtp-server-main.ts');

function addressText(value: ParsedMail['to'] | ParsedMail['from']): string {
  if (value === undefined) return '';
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((entry) => entry.value.map((a) => a.address ?? '')).join(', ');
}

export function linksOf(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
}

/** One .eml file as a mail client reads it. */
export async function parseMail(source: Buffer): Promise<ReceivedMail> {
  const mail = await simpleParser(source);
  const text = mail.text ?? '';
  return {
    to: addressText(mail.to),
    from: addressText(mail.from),
    subject: mail.subject ?? '',
    text,
    html: typeof mail.html === 'string' ? mail.html : '',
    messageId: mail.messageId ?? '',
    links: linksOf(text),
  };
}

/** The mails a server without `--smtp-url` wrote to `<data>/outbox`, oldest first. */
export async function readOutbox(dataDir: string): Promise<ReceivedMail[]> {
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return Promise.all(files.map((file) => parseMail(readFileSync(join(dir, file)))));
}

/** The token of a link from a mail (`…#token=…`). */
export function linkToken(link: string): string {
  const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
  if (token === null) throw new Error(`no token in ${link}`);
  return token;
}

/** Waits until the server's outbox holds a mail to `to` matching `subject`; the newest such. */
export async function waitForOutboxMail(dataDir: string, to: string, subject: RegExp, timeoutMs = 30_000): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = (await readOutbox(dataDir)).filter((m) => m.to.toLowerCase() === to.toLowerCase() && subject.test(m.subject)).at(-1);
    if (match !== undefined) return match;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} in the outbox within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-smtp-'));
  const user = options.user ?? 'mailer';
  const pass = options.pass ?? 'mail secret';
  const args = ['--import', 'tsx', MAIN, '--dir', dir, '--user', user, '--pass', pass, '--fail-first', String(options.failFirst ?? 0)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SMTP server did not start:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SMTP server exited with ${code}:\n${output}`));
    });
  });

  const parsed = new Map<string, ReceivedMail>();
  const seen = new Set<string>();
  async function received(): Promise<ReceivedMail[]> {
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
    for (const file of files) {
      if (!parsed.has(file)) parsed.set(file, await parseMail(readFileSync(join(dir, file))));
    }
    return files.map((f) => parsed.get(f) as ReceivedMail);
  }

  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    port,
    received,
    async waitForMail(to, subject, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = await received();
        const match = mails
          .map((mail, index) => ({ mail, key: `${index}` }))
          .filter(({ mail, key }) => !seen.has(key) && mail.to.toLowerCase() === to.toLowerCase() && (subject === undefined || subject.test(mail.subject)))
          .at(-1);
        if (match !== undefined) {
          seen.add(match.key);
          return match.mail;
        }
        if (Date.now() > deadline) {
          const summary = mails.map((m) => `${m.to}: ${m.subject}`).join('\n');
          throw new Error(`no mail to ${to}${subject === undefined ? '' : ` matching ${subject}`} within ${timeoutMs} ms; received:\n${summary}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
