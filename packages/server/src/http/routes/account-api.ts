import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  DeleteAccountRequest,
  ForgotPasswordRequest,
  ResetPasswordRequest,
  MailSentResponse,
  Profile,
  TokenRequest,
  WEB_API_PATHS,
  WebSuccess,
  webMessages,
} from '@rotki-premium/protocol/web-api';
import { z } from 'zod';
import { deleteOwnAccount } from '../../domain/account-deletion.ts';
import { exportAccountData } from '../../domain/account-export.ts';
import type { Backups } from '../../domain/backups.ts';
import type { DomainContext } from '../../domain/context.ts';
import { getProfile, updateProfile } from '../../domain/profile.ts';
import { confirmEmailChange, requestEmailChange } from '../../domain/email-change.ts';
import { changePassword, requestPasswordReset, resetPassword } from '../../domain/password-changes.ts';
import { resendVerificationMail, verifyEmail } from '../../domain/signup.ts';
import { contentResponse, webRoute } from '../openapi/route-schema.ts';
import { route, sessionOf } from './web-api-request.ts';

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

  app.post(route(WEB_API_PATHS.verifyEmail), { schema: webRoute({ summary: 'Confirm the e-mail address with the link\'s token', body: TokenRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: optional }, async (request) => {
    const { token } = TokenRequest.parse(request.body ?? {});
    await verifyEmail(ctx, token, request.webSession?.accountId ?? null);
    return success;
  });

  app.post(route(WEB_API_PATHS.resendVerification), { schema: webRoute({ summary: 'Send the address-confirmation link again', response: { 202: MailSentResponse } }), config: required }, async (request, reply): Promise<MailSentResponse> => {
    await resendVerificationMail(ctx, sessionOf(request).accountId);
    reply.code(202);
    return { message: 'A new link is on its way. It works once and expires in 48 hours.' };
  });

  app.post(
    route(WEB_API_PATHS.forgotPassword),
    { schema: webRoute({ summary: 'Forgotten password: a reset link by e-mail (the same answer whether or not the account exists)', body: ForgotPasswordRequest, response: { 202: MailSentResponse } }), bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply): Promise<MailSentResponse> => {
      const { login } = ForgotPasswordRequest.parse(request.body ?? {});
      await requestPasswordReset(ctx, login, request.ip);
      reply.code(202);
      return { message: webMessages.resetSent() };
    },
  );

  app.post(
    route(WEB_API_PATHS.resetPassword),
    { schema: webRoute({ summary: 'Set a new password with the reset link\'s token (every session ends)', body: ResetPasswordRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, onRequest: options.perAddress, config: { ...optional } },
    async (request, reply) => {
      const body = ResetPasswordRequest.parse(request.body ?? {});
      await resetPassword(ctx, body.token, body.password, request.ip);
      // Whoever reset the password logs in with it; this browser's old session (if any) ended with the others.
      await options.endCurrentSession(request);
      reply.endSession();
      return success;
    },
  );

  app.post(route(WEB_API_PATHS.changePassword), { schema: webRoute({ summary: 'Change the password (the current one is asked; other sessions end)', body: ChangePasswordRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
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
    { schema: webRoute({ summary: 'Change the e-mail address: a link to the new address confirms it', body: ChangeEmailRequest, response: { 202: MailSentResponse } }), bodyLimit: BODY_LIMIT, config: required },
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

  app.post(route(WEB_API_PATHS.confirmEmail), { schema: webRoute({ summary: 'Confirm a new e-mail address with the link\'s token', body: TokenRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: optional }, async (request) => {
    const { token } = TokenRequest.parse(request.body ?? {});
    await confirmEmailChange(ctx, token, request.webSession?.accountId ?? null);
    return success;
  });

  app.get(route(WEB_API_PATHS.profile), { schema: webRoute({ summary: 'Profile and billing details', response: { 200: Profile } }), config: required }, async (request): Promise<Profile> => {
    return getProfile(ctx, sessionOf(request).accountId);
  });

  app.put(route(WEB_API_PATHS.profile), { schema: webRoute({ summary: 'Change the profile and billing details', body: Profile, response: { 200: Profile } }), bodyLimit: BODY_LIMIT, config: required }, async (request): Promise<Profile> => {
    return updateProfile(ctx, sessionOf(request).accountId, request.body ?? {}, request.ip);
  });

  app.post(route(WEB_API_PATHS.deleteAccount), { schema: webRoute({ summary: 'Delete the account and its backups (username typed, and the password or a code)', body: DeleteAccountRequest, response: { 200: WebSuccess } }), bodyLimit: BODY_LIMIT, config: required }, async (request, reply) => {
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

  app.get(route(WEB_API_PATHS.exportData), { schema: webRoute({ summary: 'Everything kept about the account, as a JSON download', response: { 200: contentResponse('The account\'s data', 'application/json', z.record(z.string(), z.unknown())) } }), config: required }, async (request, reply) => {
    const session = sessionOf(request);
    const data = await exportAccountData(ctx, session.accountId, request.ip);
    reply.header('content-disposition', `attachment; filename="rotki-premium-${session.username}.json"`);
    return data;
  });
}
