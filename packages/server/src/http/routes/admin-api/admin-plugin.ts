import cookie from '@fastify/cookie';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_API, ADMIN_CSRF_HEADER, AdminErrorCode, adminMessages, type OperatorRole } from '@rotki-premium/protocol/admin-api';
import { ZodError } from 'zod';
import { actingAs } from '../../../domain/audit.ts';
import type { DomainContext } from '../../../domain/context.ts';
import { DomainError, type DomainErrorKind } from '../../../domain/errors.ts';
import { findOperatorSession, type OperatorSession } from '../../../domain/operators/operator-sessions.ts';
import { randomToken, tokensMatch } from '../../../domain/sessions.ts';

export const CONSOLE_SESSION_COOKIE = 'rp_console';
export const CONSOLE_PRE_SESSION_CSRF_COOKIE = 'rp_console_csrf';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Console routes: `public` (before sign-in), `password` (between the
     * password and the code), `operator` (signed in), `admin` (signed in with
     * the admin role).
     */
    console?: 'public' | 'password' | 'operator' | 'admin';
  }
  interface FastifyRequest {
    operatorSession: OperatorSession | null;
  }
}

/** Answers in the console's error shape, `{ error: { code, message } }`. */
export class AdminApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'AdminApiError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

const STATUS_OF_KIND: Record<DomainErrorKind, [number, string]> = {
  invalid: [400, AdminErrorCode.InvalidInput],
  forbidden: [403, AdminErrorCode.Forbidden],
  not_found: [404, AdminErrorCode.NotFound],
  conflict: [409, AdminErrorCode.Conflict],
};

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendAdminError(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: field === undefined ? { code, message } : { code, message, field } });
}

/** The signed-in operator of a route that required one. */
export function operatorOf(request: FastifyRequest): OperatorSession {
  if (request.operatorSession === null) throw new Error('console route reached without an operator session');
  return request.operatorSession;
}

/** Runs a domain action on behalf of the signed-in operator: its audit events carry their name. */
export function asOperator<T>(request: FastifyRequest, action: () => Promise<T>): Promise<T> {
  return actingAs({ operator: operatorOf(request).operator.username, ip: request.ip }, action);
}

export function csrfCookieOptions(request: FastifyRequest) {
  return { path: ADMIN_API, httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

export function sessionCookieOptions(request: FastifyRequest) {
  return { path: '/admin', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

/** The CSRF token a console page must send: its session's, or a pre-session token set as a cookie. */
export function consoleCsrfToken(request: FastifyRequest, reply: FastifyReply): string {
  if (request.operatorSession !== null) return request.operatorSession.csrfToken;
  const existing = request.cookies[CONSOLE_PRE_SESSION_CSRF_COOKIE];
  if (existing !== undefined && existing.length >= 32) return existing;
  const token = randomToken();
  reply.setCookie(CONSOLE_PRE_SESSION_CSRF_COOKIE, token, csrfCookieOptions(request));
  return token;
}

const ROLE_ALLOWS: Record<'operator' | 'admin', readonly OperatorRole[]> = { operator: ['admin', 'support'], admin: ['admin'] };

/**
 * The console API's plumbing, applied to the routes registered after it in
 * the same (encapsulated) plugin: its own cookie (path /admin, SameSite=Strict,
 * HttpOnly), a CSRF token on every change, the operator's role checked per
 * route, one error shape and no caching.
 */
export async function consolePlumbing(app: FastifyInstance, options: { ctx: DomainContext }): Promise<void> {
  const { ctx } = options;
  await app.register(cookie);
  app.decorateRequest('operatorSession', null);

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof AdminApiError) return sendAdminError(reply, error.statusCode, error.code, error.message);
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const field = issue?.path.join('.') ?? '';
      return sendAdminError(reply, 400, AdminErrorCode.InvalidInput, issue?.message ?? 'Invalid input', field === '' ? undefined : field);
    }
    if (error instanceof DomainError) {
      const [status, code] = STATUS_OF_KIND[error.kind];
      return sendAdminError(reply, status, code, error.message);
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) return sendAdminError(reply, status, AdminErrorCode.InvalidInput, error.message);
    request.log.error({ err: error }, 'console API request failed');
    return sendAdminError(reply, 500, AdminErrorCode.Internal, 'Internal server error');
  });
  app.setNotFoundHandler((_request, reply) => sendAdminError(reply, 404, AdminErrorCode.NotFound, 'Not found'));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.console;
    if (access === undefined && request.is404) return;
    if (access === undefined) throw new Error(`console route ${request.routeOptions.url ?? ''} declares no access`);
    const token = request.cookies[CONSOLE_SESSION_COOKIE];
    request.operatorSession = token === undefined || token === '' ? null : await findOperatorSession(ctx, token);
    const session = request.operatorSession;
    if (access === 'password' && session?.stage !== 'password') {
      throw new AdminApiError(401, AdminErrorCode.NotSignedIn, adminMessages.notSignedIn());
    }
    if (access === 'operator' || access === 'admin') {
      if (session === null || session.stage !== 'full') throw new AdminApiError(401, AdminErrorCode.NotSignedIn, adminMessages.notSignedIn());
      if (!ROLE_ALLOWS[access].includes(session.operator.role)) {
        throw new AdminApiError(403, AdminErrorCode.RoleForbidden, adminMessages.roleForbidden());
      }
    }
    if (!UNSAFE_METHODS.has(request.method)) return;
    const expected = session?.csrfToken ?? request.cookies[CONSOLE_PRE_SESSION_CSRF_COOKIE];
    const received = header(request, ADMIN_CSRF_HEADER);
    if (expected === undefined || received === undefined || !tokensMatch(expected, received)) {
      throw new AdminApiError(403, AdminErrorCode.CsrfFailed, adminMessages.csrfFailed());
    }
  });
}
