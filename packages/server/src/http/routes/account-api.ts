import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  DeleteAccountRequest,
  ForgotPasswordRequest,
  ResetPasswordRequest,
  TokenRequest,
  WEB_API_PATHS,
  webMessages,
  type MailSentResponse,
  type Profile,
} from '@rotki-premium/protocol/web-api';
import { deleteOwnAccount } from '../../domain/account-deletion.ts';
import { exportAccountData } from '../../domain/account-export.ts';
import type { Backups } from '../../domain/backups.ts';
import type { DomainContext } from '../../domain/context.ts';
import { getProfile, updateProfile } from '../../domain/profile.ts';
import { confirmEmailChange, requestEmailChange } from '../../domain/email-change.ts';
import { changePassword, requestPasswordReset, resetPassword } from '../../domain/password-changes.ts';
import type { WebSession } from '../../domain/sessions.ts';
import { resendVerificationMail, verifyEmail } from '../../domain/signup.ts';

/** Form bodies are small. */
const BODY_LIMIT = 16 * 1024;

export interface AttemptLimiter {
  /** Answers 429 while any of `keys` has too many recent failures. */
  refuseIfLimited(reply: FastifyReply, keys: string[]): Promise<void>;
  recordFailedAttempt(keys: string[]): Promise<void>;
}

export interface AccountApiOptions {
  ctx: DomainContext;
  /** For deleting an account's backups with it. */
  backups: Backups;
  sessionTtlMs: number;
  /** The per-address rate limit of login and sign-up. */
  perAddress: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  limiter: AttemptLimiter;
  endCurrentSession(request: FastifyRequest): Promise<void>;
}

function route(path: string): string {
  return path.slice('/webapi'.length);
}

function sessionOf(request: FastifyRequest): WebSession {
  if (request.webSession === null) throw new Error('route reached without a session');
  return request.webSession;
}

const success = { success: true as const };

/**
 * What keeps an account the subscriber's own: the e-mail address (verified,
 * changed), the password (forgotten, reset, changed). Registered inside the
 * web API plugin: sessions, CSRF and error shapes are the web API's.
 */
export async function accountApiRoutes(app: FastifyInstance, options: AccountApiOptions): Promise<void> {
  const { ctx, limiter } = options;
  const optional = { session: 'optional' as const };
  const required = { session: 'required' as const };

  app.post(route(WEB_API_PATHS.verifyEmail), { bodyLimit: BODY_LIMIT, config: optional }, async (request) => {
    const { token } = TokenRequest.parse(request.body ?? {});
    await verifyEmail(ctx, token, request.webSession?.accountId ?? null);
    return success;
  });

  app.post(route(WEB_API_PATHS.resendVerification), { config: required }, async (request, reply): Promise<MailSentResponse> => {
    await resendVerificationMail(ctx, sessionOf(request).accountId);
    reply.code(202);
    return { message: 'A new link is on its way. It works once and expires in 48 hours.' };
  });

  app.post(
    route(WEB_API_PATHS.forgotPassword),
    { bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply): Promise<MailSentResponse> => {
      const { login } = ForgotPasswordRequest.parse(request.body ?? {});
      await requestPasswordReset(ctx, login, request.ip);
      reply.code(202);
      return { message: webMessages.resetSent() };
    },
  );

  app.post(
    route(WEB_API_PATHS.resetPassword),
    { bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply) => {
      const body = ResetPasswordRequest.parse(request.body ?? {});
      await resetPassword(ctx, body.token, body.password, request.ip);
      // Whoever reset the password logs in with it; this browser's old session (if any) ended with the others.
      await options.endCurrentSession(request);
      reply.endSession();
      return success;
    },
  );

  app.post(route(WEB_API_PATHS.changePassword), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
    const body = ChangePasswordRequest.parse(request.body ?? {});
    const session = sessionOf(request);
    const keys = [`password:${session.accountId}`];
    await limiter.refuseIfLimited(reply, keys);
    try {
      await changePassword(ctx, session.accountId, session.id, body.currentPassword, body.password, request.ip);
    } catch (error) {
      await limiter.recordFailedAttempt(keys);
      throw error;
    }
    return success;
  });

  app.post(
    route(WEB_API_PATHS.changeEmail),
    { bodyLimit: BODY_LIMIT, config: required },
    async (request, reply): Promise<MailSentResponse> => {
      const body = ChangeEmailRequest.parse(request.body ?? {});
      const session = sessionOf(request);
      const keys = [`password:${session.accountId}`];
      await limiter.refuseIfLimited(reply, keys);
      let newEmail;
      try {
        ({ newEmail } = await requestEmailChange(ctx, session.accountId, body.email, body.currentPassword, request.ip));
      } catch (error) {
        await limiter.recordFailedAttempt(keys);
        throw error;
      }
      reply.code(202);
      return { message: `Check the inbox of ${newEmail}: open the link there to make it your address. Until then your account keeps its current one.` };
    },
  );

  app.post(route(WEB_API_PATHS.confirmEmail), { bodyLimit: BODY_LIMIT, config: optional }, async (request) => {
    const { token } = TokenRequest.parse(request.body ?? {});
    await confirmEmailChange(ctx, token, request.webSession?.accountId ?? null);
    return success;
  });

  app.get(route(WEB_API_PATHS.profile), { config: required }, async (request): Promise<Profile> => {
    return getProfile(ctx, sessionOf(request).accountId);
  });

  app.put(route(WEB_API_PATHS.profile), { bodyLimit: BODY_LIMIT, config: required }, async (request): Promise<Profile> => {
    return updateProfile(ctx, sessionOf(request).accountId, request.body ?? {}, request.ip);
  });

  app.post(route(WEB_API_PATHS.deleteAccount), { bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
    const body = DeleteAccountRequest.parse(request.body ?? {});
    const { accountId } = sessionOf(request);
    const keys = [`password:${accountId}`];
    await limiter.refuseIfLimited(reply, keys);
    try {
      await deleteOwnAccount(ctx, options.backups, accountId, body, request.ip);
    } catch (error) {
      await limiter.recordFailedAttempt(keys);
      throw error;
    }
    reply.endSession();
    return success;
  });

  app.get(route(WEB_API_PATHS.exportData), { config: required }, async (request, reply) => {
    const session = sessionOf(request);
    const data = await exportAccountData(ctx, session.accountId, request.ip);
    reply.header('content-disposition', `attachment; filename="rotki-premium-${session.username}.json"`);
    return data;
  });
}
