import { CSRF_HEADER, CsrfResponse, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { linkToken, waitForOutboxMail } from './smtp-server.ts';

export interface HttpResponse {
  status: number;
  headers: Headers;
  json: unknown;
  body: Buffer;
}

/**
 * One browser's view of a running server's website API over real HTTP: keeps
 * its cookies and sends the page's CSRF token on changes, as the website does.
 */
export class HttpWebSession {
  readonly #baseUrl: string;
  readonly #extraHeaders: Record<string, string>;
  readonly #cookies = new Map<string, string>();
  #csrfToken: string | null = null;

  /** `extraHeaders`: sent on every request (e.g. the X-Forwarded-For a proxy would add). */
  constructor(baseUrl: string, extraHeaders: Record<string, string> = {}) {
    this.#baseUrl = baseUrl;
    this.#extraHeaders = extraHeaders;
  }

  async request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<HttpResponse> {
    if (method !== 'GET' && this.#csrfToken === null) {
      this.#csrfToken = CsrfResponse.parse((await this.request('GET', WEB_API_PATHS.csrf)).json).csrfToken;
    }
    const headers: Record<string, string> = { ...this.#extraHeaders, accept: 'application/json' };
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (method !== 'GET' && this.#csrfToken !== null) headers[CSRF_HEADER] = this.#csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.#baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    let json: unknown = null;
    if (response.headers.get('content-type')?.startsWith('application/json') === true) {
      json = JSON.parse(bytes.toString('utf8')) as unknown;
      if (typeof json === 'object' && json !== null && 'csrfToken' in json && typeof json.csrfToken === 'string') {
        this.#csrfToken = json.csrfToken;
      }
    }
    return { status: response.status, headers: response.headers, json, body: bytes };
  }

  /** Signs up and logs in (sign-up itself opens no session): the login's response, or the refused sign-up's. */
  async signUp(username: string, password = 'correct horse battery'): Promise<HttpResponse> {
    const registered = await this.request('POST', WEB_API_PATHS.signup, { username, email: `${username}@example.com`, password, confirmPassword: password });
    if (registered.status !== 202) return registered;
    return this.request('POST', WEB_API_PATHS.login, { username, password });
  }

  /** Opens the verification link the server wrote to its outbox (no `--smtp-url`) for `email`. */
  async confirmEmailFromOutbox(dataDir: string, email: string): Promise<HttpResponse> {
    const mail = await waitForOutboxMail(dataDir, email, /Confirm your e-mail address/);
    const link = mail.links.find((l) => l.includes('/verify-email#token='));
    if (link === undefined) throw new Error(`no verification link in the mail to ${email}`);
    return this.request('POST', WEB_API_PATHS.verifyEmail, { token: linkToken(link) });
  }
}
