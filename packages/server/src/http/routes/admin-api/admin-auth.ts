import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ADMIN_API,
  ADMIN_API_PATHS,
  AdminErrorCode,
  AdminSuccess,
  CsrfView,
  SessionView,
  SignInRequest,
  SignInStep,
  TotpRequest,
  adminMessages,
} from '@rotki-premium/protocol/admin-api';
import type { DomainContext } from '../../../domain/context.ts';
import {
  OPERATOR_SESSION_TTL_MS,
  PASSWORD_STAGE_TTL_MS,
  completeSecondFactor,
  endOperatorSession,
  signInWithPassword,
  type IssuedOperatorSession,
  type OperatorSession,
} from '../../../domain/operators/operator-sessions.ts';
import { failureCounter, type CounterStore } from '../../../domain/failure-counters.ts';
import { webRoute } from '../../openapi/route-schema.ts';
import {
  AdminApiError,
  CONSOLE_PRE_SESSION_CSRF_COOKIE,
  CONSOLE_SESSION_COOKIE,
  consoleCsrfToken,
  csrfCookieOptions,
  sessionCookieOptions,
} from './admin-plugin.ts';

/** Wrong passwords or codes per operator name in 15 minutes before that name is refused for the rest of the window. */
const NAME_ATTEMPT_LIMIT = 10;
const ATTEMPT_WINDOW_MS = 15 * 60 * 1000;
/** Sign-in attempts per address in 15 minutes. */
const ADDRESS_ATTEMPT_LIMIT = 30;

function path(full: string): string {
  return full.slice(ADMIN_API.length);
}

export function sessionView(session: OperatorSession): SessionView {
  const { username, email, role } = session.operator;
  return { operator: { username, email, role }, csrfToken: session.csrfToken };
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, issued: IssuedOperatorSession, ttlMs: number): void {
  reply
    .setCookie(CONSOLE_SESSION_COOKIE, issued.token, { ...sessionCookieOptions(request), maxAge: Math.floor(ttlMs / 1000) })
    .clearCookie(CONSOLE_PRE_SESSION_CSRF_COOKIE, csrfCookieOptions(request));
}

/** Sign-in (password, then the authenticator's code; at the first sign-in the authenticator is set up), the session, sign-out. */
export async function adminAuthRoutes(app: FastifyInstance, options: { ctx: DomainContext; counters: CounterStore }): Promise<void> {
  const { ctx } = options;
  // Counted where the website's and the signed API's are: shared by the instances on PostgreSQL or Redis.
  const nameAttempts = failureCounter(options.counters, 'console:name', NAME_ATTEMPT_LIMIT, ATTEMPT_WINDOW_MS);
  const addressAttempts = failureCounter(options.counters, 'console:address', ADDRESS_ATTEMPT_LIMIT, ATTEMPT_WINDOW_MS);

  /** Sign-in attempts per client address on each step's route, counted before the body is read. */
  async function perAddress(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const now = ctx.clock.now();
    const subject = `${request.routeOptions.url ?? ''} ${request.ip}`;
    const wait = await addressAttempts.retryAfterSeconds(subject, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AdminApiError(429, AdminErrorCode.RateLimited, adminMessages.tooManyAttempts(wait));
    }
    await addressAttempts.recordFailure(subject, now);
  }

  async function refuseIfLimited(reply: FastifyReply, name: string): Promise<void> {
    const wait = await nameAttempts.retryAfterSeconds(name.toLowerCase(), ctx.clock.now());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AdminApiError(429, AdminErrorCode.RateLimited, adminMessages.tooManyAttempts(wait));
    }
  }

  app.get(path(ADMIN_API_PATHS.csrf), { schema: webRoute({ summary: 'The CSRF token before sign-in', response: { 200: CsrfView } }), config: { console: 'public' } }, async (request, reply) => ({
    csrfToken: consoleCsrfToken(request, reply),
  }));

  app.get(path(ADMIN_API_PATHS.session), { schema: webRoute({ summary: 'Who is signed in', response: { 200: SessionView } }), config: { console: 'operator' } }, async (request): Promise<SessionView> => {
    return sessionView(request.operatorSession as OperatorSession);
  });

  app.post(
    path(ADMIN_API_PATHS.session),
    {
      schema: webRoute({ summary: 'Sign-in, first step: the password (then the code, or setting up the authenticator)', body: SignInRequest, response: { 200: SignInStep } }),
      bodyLimit: 4096,
      onRequest: perAddress,
      config: { console: 'public' },
    },
    async (request, reply): Promise<SignInStep> => {
      const body = SignInRequest.parse(request.body ?? {});
      await refuseIfLimited(reply, body.username);
      const outcome = await signInWithPassword(ctx, body.username, body.password, request.ip);
      if (outcome === null) {
        await nameAttempts.recordFailure(body.username.toLowerCase(), ctx.clock.now());
        throw new AdminApiError(401, AdminErrorCode.WrongCredentials, adminMessages.wrongCredentials());
      }
      if (request.operatorSession !== null) await endOperatorSession(ctx, request.operatorSession.id);
      setSessionCookie(request, reply, outcome.issued, PASSWORD_STAGE_TTL_MS);
      const csrfToken = outcome.issued.session.csrfToken;
      return outcome.next === 'totp'
        ? { next: 'totp', csrfToken }
        : { next: 'enrol', secret: outcome.secret, otpauthUri: outcome.otpauthUri, csrfToken };
    },
  );

  app.post(
    path(ADMIN_API_PATHS.sessionTotp),
    {
      schema: webRoute({ summary: 'Sign-in, second step: the authenticator\'s 6-digit code', body: TotpRequest, response: { 200: SessionView } }),
      bodyLimit: 1024,
      onRequest: perAddress,
      config: { console: 'password' },
    },
    async (request, reply): Promise<SessionView> => {
      const pending = request.operatorSession as OperatorSession;
      await refuseIfLimited(reply, pending.operator.username);
      const { code } = TotpRequest.parse(request.body ?? {});
      const issued = await completeSecondFactor(ctx, pending, code, request.ip);
      if (issued === null) {
        await nameAttempts.recordFailure(pending.operator.username.toLowerCase(), ctx.clock.now());
        throw new AdminApiError(401, AdminErrorCode.WrongCode, adminMessages.wrongCode());
      }
      setSessionCookie(request, reply, issued, OPERATOR_SESSION_TTL_MS);
      return sessionView(issued.session);
    },
  );

  app.delete(path(ADMIN_API_PATHS.session), { schema: webRoute({ summary: 'Sign out', response: { 200: AdminSuccess } }), config: { console: 'public' } }, async (request, reply) => {
    if (request.operatorSession !== null) await endOperatorSession(ctx, request.operatorSession.id);
    reply.clearCookie(CONSOLE_SESSION_COOKIE, sessionCookieOptions(request));
    return { success: true as const };
  });
}
