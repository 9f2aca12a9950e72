import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CSRF_HEADER, CsrfResponse, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  /** Send this CSRF token instead of the page's; null sends none. */
  csrf?: string | null;
  headers?: Record<string, string>;
}

/**
 * One browser's view of the website API through `app.inject`: it keeps its
 * cookies and sends the page's CSRF token on changes, as the website does.
 */
export class WebSession {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  readonly #app: FastifyInstance;

  constructor(app: FastifyInstance) {
    this.#app = app;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #keepCookies(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  async request(method: Method, url: string, options: RequestOptions = {}): Promise<LightMyRequestResponse> {
    if (method !== 'GET' && options.csrf === undefined && this.csrfToken === null) {
      this.csrfToken = CsrfResponse.parse((await this.request('GET', WEB_API_PATHS.csrf)).json()).csrfToken;
    }
    const headers: Record<string, string> = { ...options.headers };
    const cookie = this.cookieHeader();
    if (cookie !== '') headers.cookie = cookie;
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (method !== 'GET' && csrf !== null) headers[CSRF_HEADER] = csrf;
    const response = await this.#app.inject({
      method,
      url,
      headers,
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    });
    this.#keepCookies(response);
    const json = response.headers['content-type']?.toString().startsWith('application/json') ? (response.json() as unknown) : null;
    if (json !== null && typeof json === 'object' && 'csrfToken' in json && typeof json.csrfToken === 'string') {
      this.csrfToken = json.csrfToken;
    }
    return response;
  }

  /** Sign-up alone: 202 "check your inbox", no session. */
  register(username: string, password = 'correct horse battery', email = `${username}@example.com`): Promise<LightMyRequestResponse> {
    return this.request('POST', WEB_API_PATHS.signup, { body: { username, email, password, confirmPassword: password } });
  }

  /** Signs up and logs in (sign-up itself opens no session): the login's response, or the refused sign-up's. */
  async signUp(username: string, password = 'correct horse battery'): Promise<LightMyRequestResponse> {
    const registered = await this.register(username, password);
    if (registered.statusCode !== 202) return registered;
    return this.logIn(username, password);
  }

  logIn(username: string, password = 'correct horse battery'): Promise<LightMyRequestResponse> {
    return this.request('POST', WEB_API_PATHS.login, { body: { username, password } });
  }
}

/** The `{ error: { code, message } }` of a web API refusal. */
export function webError(response: LightMyRequestResponse): { code: string; message: string } {
  return (response.json() as { error: { code: string; message: string } }).error;
}
