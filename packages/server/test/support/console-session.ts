import { ADMIN_API_PATHS, ADMIN_CSRF_HEADER, CsrfView, SessionView, SignInStep } from '@rotki-premium/protocol/admin-api';
import { totpCode } from '../../src/domain/second-factor/totp.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ConsoleResponse {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

/**
 * One operator's browser talking to the console API over real HTTP: it keeps
 * its cookies and sends the page's CSRF token on changes, as the console does.
 */
export class ConsoleSession {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;

  constructor(readonly baseUrl: string) {}

  async request(method: Method, path: string, body?: unknown, options: { csrf?: string | null } = {}): Promise<ConsoleResponse> {
    if (method !== 'GET' && options.csrf === undefined && this.csrfToken === null) {
      this.csrfToken = CsrfView.parse((await this.request('GET', ADMIN_API_PATHS.csrf)).json).csrfToken;
    }
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (method !== 'GET' && csrf !== null) headers[ADMIN_CSRF_HEADER] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    if (json !== null && typeof json === 'object' && 'csrfToken' in json && typeof json.csrfToken === 'string') this.csrfToken = json.csrfToken;
    return { status: response.status, json, text, headers: response.headers };
  }

  /**
   * Signs in with the password and a code from `secret` (the authenticator set
   * up at the first sign-in, whose secret this returns). `step` picks the
   * 30-second window of the code, so that two sign-ins in one window use two codes.
   */
  async signIn(username: string, password: string, secret?: string, step = 0): Promise<{ session: SessionView; secret: string }> {
    const first = await this.request('POST', ADMIN_API_PATHS.session, { username, password });
    if (first.status !== 200) throw new Error(`sign-in refused: ${first.status} ${first.text}`);
    const next = SignInStep.parse(first.json);
    const key = next.next === 'enrol' ? next.secret : secret;
    if (key === undefined) throw new Error('this operator has an authenticator: pass its secret');
    const code = totpCode(key, Date.now() + step * 30_000);
    const second = await this.request('POST', ADMIN_API_PATHS.sessionTotp, { code });
    if (second.status !== 200) throw new Error(`code refused: ${second.status} ${second.text}`);
    return { session: SessionView.parse(second.json), secret: key };
  }
}
