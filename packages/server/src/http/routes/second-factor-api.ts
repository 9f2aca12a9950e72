import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountResponse,
  AddPasskeyRequest,
  AddPasskeyResponse,
  CodeRequest,
  IdParam,
  PasskeyLoginRequest,
  RecoveryCodesResponse,
  RemovePasskeyRequest,
  SecurityResponse,
  TotpSetupResponse,
  WEB_API_PATHS,
  WebAuthnOptions,
  WebErrorCode,
  WebSuccess,
} from '@rotki-premium/protocol/web-api';
import { z } from 'zod';
import type { DomainContext } from '../../domain/context.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { recoveryCodesLeft } from '../../domain/second-factor/recovery-codes.ts';
import { addPasskey, listPasskeys, passkeyLoginOptions, passkeyRegistrationOptions, removePasskey } from '../../domain/second-factor/passkeys.ts';
import { disableTotp, enableTotp, regenerateRecoveryCodes, startTotpEnrolment } from '../../domain/second-factor/subscriber-totp.ts';
import { codeStep, passkeyStep, pendingAccount, type SignInOptions } from '../../domain/sign-in.ts';
import { endOtherSessions, endSession, listSessions, type IssuedSession, type WebSession } from '../../domain/sessions.ts';
import { getAccount } from '../../domain/accounts.ts';
import { webRoute } from '../openapi/route-schema.ts';
import { WebApiError } from '../plugins/session.ts';
import type { AttemptLimiter } from './account-api.ts';
import { browserOf } from './user-agent.ts';
import { route, sessionOf } from './web-api-request.ts';

/** How many sessions ended. */
const EndedSessions = z.object({ success: z.literal(true), ended: z.number().int() });

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
    { schema: webRoute({ summary: 'Sign-in, second step: an authenticator or recovery code', body: CodeRequest, response: { 200: AccountResponse } }), bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
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
    { schema: webRoute({ summary: 'A passkey challenge (WebAuthn request options) for signing in', response: { 200: WebAuthnOptions } }), onRequest: options.perAddress, config: { ...optional } },
    async (request): Promise<object> => {
      const token = request.cookies[PENDING_LOGIN_COOKIE] ?? '';
      const accountId = token === '' ? null : await pendingAccount(ctx, token);
      return passkeyLoginOptions(ctx, accountId);
    },
  );

  app.post(
    route(WEB_API_PATHS.passkeyLogin),
    { schema: webRoute({ summary: 'Sign in with a passkey (alone, or as the second step)', body: PasskeyLoginRequest, response: { 200: AccountResponse } }), bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply): Promise<AccountResponse> => {
      const { assertion } = PasskeyLoginRequest.parse(request.body ?? {});
      const token = request.cookies[PENDING_LOGIN_COOKIE];
      const issued = await passkeyStep(ctx, token === undefined || token === '' ? null : token, assertion, signInOptions(request));
      if (issued === null) throw signInExpired();
      return finishSignIn(request, reply, issued);
    },
  );

  app.get(route(WEB_API_PATHS.security), { schema: webRoute({ summary: 'The security section: authenticator, recovery codes left, passkeys, sessions', response: { 200: SecurityResponse } }), config: required }, async (request): Promise<SecurityResponse> => {
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

  app.post(route(WEB_API_PATHS.totpSetup), { schema: webRoute({ summary: 'Start setting up an authenticator app (its secret and QR code)', response: { 200: TotpSetupResponse } }), config: required }, async (request): Promise<TotpSetupResponse> => {
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

  app.post(route(WEB_API_PATHS.totpEnable), { schema: webRoute({ summary: 'Turn the authenticator on with its first code (answers the recovery codes)', body: CodeRequest, response: { 200: RecoveryCodesResponse } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<RecoveryCodesResponse> => {
    return { recoveryCodes: await withCode(request, reply, (accountId, code) => enableTotp(ctx, accountId, code, request.ip)) };
  });

  app.post(route(WEB_API_PATHS.totpDisable), { schema: webRoute({ summary: 'Turn the authenticator off (a current code is asked)', body: CodeRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
    await withCode(request, reply, (accountId, code) => disableTotp(ctx, accountId, code, request.ip));
    return { success: true as const };
  });

  app.post(route(WEB_API_PATHS.recoveryCodes), { schema: webRoute({ summary: 'New recovery codes; the old ones stop working (a current code is asked)', body: CodeRequest, response: { 200: RecoveryCodesResponse } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<RecoveryCodesResponse> => {
    return { recoveryCodes: await withCode(request, reply, (accountId, code) => regenerateRecoveryCodes(ctx, accountId, code, request.ip)) };
  });

  app.post(route(WEB_API_PATHS.passkeyRegisterOptions), { schema: webRoute({ summary: 'A passkey challenge (WebAuthn creation options) for adding a passkey', response: { 200: WebAuthnOptions } }), config: required }, async (request): Promise<object> => {
    return passkeyRegistrationOptions(ctx, sessionOf(request).accountId);
  });

  app.post(route(WEB_API_PATHS.passkeys), { schema: webRoute({ summary: 'Add a passkey (the first one also answers recovery codes)', body: AddPasskeyRequest, response: { 201: AddPasskeyResponse } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply): Promise<AddPasskeyResponse> => {
    const body = AddPasskeyRequest.parse(request.body ?? {});
    const added = await addPasskey(ctx, sessionOf(request).accountId, body.name, body.registration, request.ip);
    reply.code(201);
    return {
      passkey: { id: added.passkey.id, name: added.passkey.name, createdAt: added.passkey.createdAt.toISOString(), lastUsedAt: null },
      recoveryCodes: added.recoveryCodes,
    };
  });

  app.post(route(WEB_API_PATHS.passkeyConfirmOptions), { schema: webRoute({ summary: 'A passkey challenge (WebAuthn request options) for confirming a change with a passkey', response: { 200: WebAuthnOptions } }), config: required }, async (request): Promise<object> => {
    return passkeyLoginOptions(ctx, sessionOf(request).accountId);
  });

  /** Needs a current second factor (a passkey or a code); wrong ones count against the account's attempts. */
  app.delete(`${route(WEB_API_PATHS.passkeys)}:id`, { schema: webRoute({ summary: 'Remove a passkey (confirmed with a passkey or a current code)', params: IdParam, body: RemovePasskeyRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
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

  app.delete(`${route(WEB_API_PATHS.sessions)}:id`, { schema: webRoute({ summary: 'End one of the account\'s sessions', params: IdParam, response: { 200: WebSuccess } }), config: required }, async (request) => {
    const { id } = IdParam.parse(request.params);
    const session = sessionOf(request);
    if (!(await endSession(ctx, session.accountId, id))) throw notFound('No such session');
    return { success: true as const };
  });

  app.post(route(WEB_API_PATHS.endOtherSessions), { schema: webRoute({ summary: 'End every session but this one', response: { 200: EndedSessions } }), config: required }, async (request) => {
    const session = sessionOf(request);
    return { success: true as const, ended: await endOtherSessions(ctx, session.accountId, session.id) };
  });
}
