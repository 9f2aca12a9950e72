import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CSRF_HEADER, WebErrorCode, webMessages } from '@rotki-premium/protocol/web-api';
import type { DomainContext } from '../../domain/context.ts';
import { findSession, randomToken, tokensMatch, type IssuedSession, type WebSession } from '../../domain/sessions.ts';

export const SESSION_COOKIE = 'rp_session';
/** Before login there is no session: a double-submit token in its own cookie guards login and sign-up. */
export const PRE_SESSION_CSRF_COOKIE = 'rp_csrf';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Opts a route in to website sessions: `required` answers 401 without one. */
    session?: 'required' | 'optional';
  }
  interface FastifyRequest {
    /** The logged-in subscriber's session, on routes that opted in. */
    webSession: WebSession | null;
  }
  interface FastifyReply {
    /** Sets the session cookie for a session just opened. */
    startSession(issued: IssuedSession): FastifyReply;
    /** Clears the session cookie. */
    endSession(): FastifyReply;
  }
  interface FastifyInstance {
    /** The CSRF token a page must send: its session's, or a pre-session token (set as a cookie). */
    csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string;
  }
}

export interface SessionOptions {
  ctx: DomainContext;
  sessionTtlMs: number;
}

/** Answers in the web API's error shape. */
export class WebApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'WebApiError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Server-side sessions for the website: an HttpOnly, SameSite=Lax cookie holds
 * a random token whose SHA-256 names the session row. Every state-changing
 * request must carry the page's CSRF token in `X-CSRF-Token`, compared in
 * constant time.
 */
async function sessionPlugin(app: FastifyInstance, options: SessionOptions): Promise<void> {
  const { ctx } = options;

  app.decorateRequest('webSession', null);

  app.decorateReply('startSession', function startSession(this: FastifyReply, issued: IssuedSession) {
    return this.setCookie(SESSION_COOKIE, issued.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: isHttps(this.request),
      maxAge: Math.floor(options.sessionTtlMs / 1000),
    }).clearCookie(PRE_SESSION_CSRF_COOKIE, { path: '/webapi' });
  });

  app.decorateReply('endSession', function endSession(this: FastifyReply) {
    return this.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(this.request) });
  });

  app.decorate('csrfTokenFor', (request: FastifyRequest, reply: FastifyReply): string => {
    if (request.webSession !== null) return request.webSession.csrfToken;
    const existing = request.cookies[PRE_SESSION_CSRF_COOKIE];
    if (existing !== undefined && existing.length >= 32) return existing;
    const token = randomToken();
    reply.setCookie(PRE_SESSION_CSRF_COOKIE, token, { path: '/webapi', httpOnly: true, sameSite: 'strict', secure: isHttps(request) });
    return token;
  });

  app.addHook('preHandler', async (request) => {
    const mode = request.routeOptions.config.session;
    if (mode === undefined) return;
    const token = request.cookies[SESSION_COOKIE];
    request.webSession = token === undefined || token === '' ? null : await findSession(ctx, token);
    if (mode === 'required' && request.webSession === null) {
      throw new WebApiError(401, WebErrorCode.NotLoggedIn, webMessages.notLoggedIn());
    }
    if (!UNSAFE_METHODS.has(request.method)) return;
    const expected = request.webSession?.csrfToken ?? request.cookies[PRE_SESSION_CSRF_COOKIE];
    const received = header(request, CSRF_HEADER);
    if (expected === undefined || received === undefined || !tokensMatch(expected, received)) {
      throw new WebApiError(403, WebErrorCode.CsrfFailed, webMessages.csrfFailed());
    }
  });
}

export default fp(sessionPlugin, { name: 'session', fastify: '5.x', dependencies: ['@fastify/cookie'] });
