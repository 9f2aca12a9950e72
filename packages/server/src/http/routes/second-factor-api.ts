import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AddPasskeyRequest,
  CodeRequest,
  IdParam,
  PasskeyLoginRequest,
  RemovePasskeyRequest,
  WEB_API_PATHS,
  WebErrorCode,
  type AccountResponse,
  type AddPasskeyResponse,
  type RecoveryCodesResponse,
  type SecurityResponse,
  type TotpSetupResponse,
} from '@rotki-premium/protocol/web-api';
import type { DomainContext } from '../../domain/context.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { recoveryCodesLeft } from '../../domain/second-factor/recovery-codes.ts';
import { addPasskey, listPasskeys, passkeyLoginOptions, passkeyRegistrationOptions, removePasskey } from '../../domain/second-factor/passkeys.ts';
import { disableTotp, enableTotp, regenerateRecoveryCodes, startTotpEnrolment } from '../../domain/second-factor/subscriber-totp.ts';
import { codeStep, passkeyStep, pendingAccount, type SignInOptions } from '../../domain/sign-in.ts';
import { endOtherSessions, endSession, listSessions, type IssuedSession, type WebSession } from '../../domain/sessions.ts';
import { getAccount } from '../../domain/accounts.ts';
import { WebApiError } from '../plugins/session.ts';
import type { AttemptLimiter } from './account-api.ts';
import { browserOf } from './user-agent.ts';

/** The cookie naming a sign-in whose password was right and whose second factor is due. */
export const PENDING_LOGIN_COOKIE = 'rp_pending';
const PENDING_COOKIE_PATH = '/webapi/login';
const BODY_LIMIT = 96 * 1024;

export interface SecondFactorApiOptions {
  ctx: DomainContext;
  sessionTtlMs: number;
  perAddress: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  limiter: AttemptLimiter;
  endCurrentSession(request: FastifyRequest): Promise<void>;
  /** What login answers once a session is open. */
  accountView(session: WebSession): Promise<AccountResponse>;
}

function route(path: string): string {
  return path.slice('/webapi'.length);
}

function sessionOf(request: FastifyRequest): WebSession {
  if (request.webSession === null) throw new Error('route reached without a session');
  return request.webSession;
}

export function setPendingLogin(reply: FastifyReply, token: string): void {
  reply.setCookie(PENDING_LOGIN_COOKIE, token, {
    path: PENDING_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: reply.request.protocol === 'https',
    maxAge: 300,
  });
}

function clearPendingLogin(reply: FastifyReply): void {
  reply.clearCookie(PENDING_LOGIN_COOKIE, { path: PENDING_COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: reply.request.protocol === 'https' });
}

function signInExpired(): WebApiError {
  return new WebApiError(401, WebErrorCode.WrongCredentials, 'Your sign-in has expired. Enter your password again.');
}

/**
 * The second step of sign-in (code, recovery code, passkey), password-less
 * passkey sign-in, and the Account page's security section: authenticator
 * app, recovery codes, passkeys and sessions.
 */
export async function secondFactorApiRoutes(app: FastifyInstance, options: SecondFactorApiOptions): Promise<void> {
  const { ctx, limiter } = options;
  const optional = { session: 'optional' as const };
  const required = { session: 'required' as const };
  const signInOptions = (request: FastifyRequest): SignInOptions => ({
    ttlMs: options.sessionTtlMs,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  });

  async function finishSignIn(request: FastifyRequest, reply: FastifyReply, issued: IssuedSession): Promise<AccountResponse> {
    await options.endCurrentSession(request);
    clearPendingLogin(reply);
    reply.startSession(issued);
    return options.accountView(issued.session);
  }

  app.post(
    route(WEB_API_PATHS.secondFactor),
    { bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply): Promise<AccountResponse> => {
      const { code } = CodeRequest.parse(request.body ?? {});
      const token = request.cookies[PENDING_LOGIN_COOKIE] ?? '';
      const accountId = token === '' ? null : await pendingAccount(ctx, token);
      if (accountId === null) throw signInExpired();
      const keys = [`second-factor:${accountId}`];
      await limiter.refuseIfLimited(reply, keys);
      let issued;
      try {
        issued = await codeStep(ctx, token, code, signInOptions(request));
      } catch (error) {
        await limiter.recordFailedAttempt(keys);
        throw error;
      }
      if (issued === null) throw signInExpired();
      return finishSignIn(request, reply, issued);
    },
  );

  app.post(
    route(WEB_API_PATHS.passkeyLoginOptions),
    { onRequest: options.perAddress, config: { ...optional } },
    async (request): Promise<object> => {
      const token = request.cookies[PENDING_LOGIN_COOKIE] ?? '';
      const accountId = token === '' ? null : await pendingAccount(ctx, token);
      return passkeyLoginOptions(ctx, accountId);
    },
  );

  app.post(
    route(WEB_API_PATHS.passkeyLogin),
    { bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply): Promise<AccountResponse> => {
      const { assertion } = PasskeyLoginRequest.parse(request.body ?? {});
      const token = request.cookies[PENDING_LOGIN_COOKIE];
      const issued = await passkeyStep(ctx, token === undefined || token === '' ? null : token, assertion, signInOptions(request));
      if (issued === null) throw signInExpired();
      return finishSignIn(request, reply, issued);
    },
  );

  app.get(route(WEB_API_PATHS.security), { config: required }, async (request): Promise<SecurityResponse> => {
    const session = sessionOf(request);
    const [account, left, passkeys, sessions] = await Promise.all([
      getAccount(ctx, session.accountId),
      recoveryCodesLeft(ctx.store.db, session.accountId),
      listPasskeys(ctx, session.accountId),
      listSessions(ctx, session.accountId),
    ]);
    return {
      totpEnabled: account.totpEnabled,
      recoveryCodesLeft: left,
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        createdAt: p.createdAt.toISOString(),
        lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
      })),
      sessions: sessions.map((s) => ({
        id: s.id,
        current: s.id === session.id,
        browser: browserOf(s.userAgent),
        ip: s.ip,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
      })),
    };
  });

  app.post(route(WEB_API_PATHS.totpSetup), { config: required }, async (request): Promise<TotpSetupResponse> => {
    return startTotpEnrolment(ctx, sessionOf(request).accountId);
  });

  /** Changes that need a current code: wrong ones count against the account's attempts. */
  async function withCode<T>(request: FastifyRequest, reply: FastifyReply, work: (accountId: number, code: string) => Promise<T>): Promise<T> {
    const { code } = CodeRequest.parse(request.body ?? {});
    const { accountId } = sessionOf(request);
    const keys = [`second-factor:${accountId}`];
    await limiter.refuseIfLimited(reply, keys);
    try {
      return await work(accountId, code);
    } catch (error) {
      await limiter.recordFailedAttempt(keys);
      throw error;
    }
  }

  app.post(route(WEB_API_PATHS.totpEnable), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<RecoveryCodesResponse> => {
    return { recoveryCodes: await withCode(request, reply, (accountId, code) => enableTotp(ctx, accountId, code, request.ip)) };
  });

  app.post(route(WEB_API_PATHS.totpDisable), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
    await withCode(request, reply, (accountId, code) => disableTotp(ctx, accountId, code, request.ip));
    return { success: true as const };
  });

  app.post(route(WEB_API_PATHS.recoveryCodes), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<RecoveryCodesResponse> => {
    return { recoveryCodes: await withCode(request, reply, (accountId, code) => regenerateRecoveryCodes(ctx, accountId, code, request.ip)) };
  });

  app.post(route(WEB_API_PATHS.passkeyRegisterOptions), { config: required }, async (request): Promise<object> => {
    return passkeyRegistrationOptions(ctx, sessionOf(request).accountId);
  });

  app.post(route(WEB_API_PATHS.passkeys), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<AddPasskeyResponse> => {
    const body = AddPasskeyRequest.parse(request.body ?? {});
    const added = await addPasskey(ctx, sessionOf(request).accountId, body.name, body.registration, request.ip);
    reply.code(201);
    return {
      passkey: { id: added.passkey.id, name: added.passkey.name, createdAt: added.passkey.createdAt.toISOString(), lastUsedAt: null },
      recoveryCodes: added.recoveryCodes,
    };
  });

  app.post(route(WEB_API_PATHS.passkeyConfirmOptions), { config: required }, async (request): Promise<object> => {
    return passkeyLoginOptions(ctx, sessionOf(request).accountId);
  });

  /** Needs a current second factor (a passkey or a code); wrong ones count against the account's attempts. */
  app.delete(`${route(WEB_API_PATHS.passkeys)}:id`, { bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
    const { id } = IdParam.parse(request.params);
    const proof = RemovePasskeyRequest.parse(request.body ?? {});
    const { accountId } = sessionOf(request);
    const keys = [`second-factor:${accountId}`];
    await limiter.refuseIfLimited(reply, keys);
    try {
      await removePasskey(ctx, accountId, id, proof, request.ip);
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'not_found')) await limiter.recordFailedAttempt(keys);
      throw error;
    }
    return { success: true as const };
  });

  app.delete(`${route(WEB_API_PATHS.sessions)}:id`, { config: required }, async (request) => {
    const { id } = IdParam.parse(request.params);
    const session = sessionOf(request);
    if (!(await endSession(ctx, session.accountId, id))) throw notFound('No such session');
    return { success: true as const };
  });

  app.post(route(WEB_API_PATHS.endOtherSessions), { config: required }, async (request) => {
    const session = sessionOf(request);
    return { success: true as const, ended: await endOtherSessions(ctx, session.accountId, session.id) };
  });
}
