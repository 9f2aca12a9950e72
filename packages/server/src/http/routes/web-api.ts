import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountResponse,
  AvailableTiers,
  CsrfResponse,
  LoginRequest,
  LoginResponse,
  MailSentResponse,
  SignupRequest,
  WEB_API_PATHS,
  WebCredentials,
  WebErrorCode,
  WebSubscription,
  WebSuccess,
  webMessages,
} from '@rotki-premium/protocol/web-api';
import { CancelRequest } from '@rotki-premium/protocol/billing-api';
import { findAccountRowByLogin, getAccount } from '../../domain/accounts.ts';
import { signUp } from '../../domain/signup.ts';
import type { Backups } from '../../domain/backups.ts';
import type { DomainContext } from '../../domain/context.ts';
import {
  createCredentials,
  credentialsCreatedAt,
  regenerateCredentials,
  viewCredentials,
  type ApiCredentials,
} from '../../domain/credentials.ts';
import { listDevices } from '../../domain/devices.ts';
import { deleteSession, type WebSession } from '../../domain/sessions.ts';
import { passwordStep } from '../../domain/sign-in.ts';
import { cancelRenewal } from '../../domain/payments/lifecycle.ts';
import type { PaymentGateways } from '../../domain/payments/gateways.ts';
import { currentSubscription } from '../../domain/subscriptions.ts';
import { currentPrices } from '../../domain/billing/prices.ts';
import { listTiers } from '../../domain/tiers.ts';
import { failureCounter, type CounterStore } from '../../domain/failure-counters.ts';
import session, { SESSION_COOKIE, WebApiError } from '../plugins/session.ts';
import { webRoute } from '../openapi/route-schema.ts';
import { accountApiRoutes } from './account-api.ts';
import { backupWebApiRoutes } from './backup-web-api.ts';
import { deviceWebApiRoutes } from './device-web-api.ts';
import { billingApiRoutes } from './billing-api.ts';
import { secondFactorApiRoutes, setPendingLogin } from './second-factor-api.ts';
import { handleWebApiError, sendError } from './web-api-errors.ts';
import { WEB_BODY_LIMIT, route, sessionOf, sourceOf } from './web-api-request.ts';
import { webSubscription, webTier } from './web-api-views.ts';

export { WEB_API_PREFIX } from './web-api-request.ts';

/** Failed logins (or refused sign-ups) allowed per account name in the login window. */
const ACCOUNT_ATTEMPT_LIMIT = 10;

export interface WebApiOptions {
  ctx: DomainContext;
  sessionTtlMs: number;
  /** Login and sign-up attempts per client address in `loginRateWindowMs`. */
  loginRateLimit: number;
  loginRateWindowMs: number;
  /** Where attempts are counted (shared by the instances on PostgreSQL or Redis). */
  counters: CounterStore;
  /** Payment providers this server calls (Stripe), when enabled. */
  gateways: PaymentGateways;
  /** The backup store: the Cloud backup section, and deleting an account's backups with it. */
  backups: Backups;
}

function webCredentials(pair: ApiCredentials): WebCredentials {
  return { apiKey: pair.apiKey, apiSecret: pair.apiSecret, createdAt: pair.createdAt.toISOString() };
}

async function accountView(ctx: DomainContext, webSession: WebSession): Promise<AccountResponse> {
  const { accountId, username } = webSession;
  const [account, subscription, createdAt, devices] = await Promise.all([
    getAccount(ctx, accountId),
    currentSubscription(ctx, accountId),
    credentialsCreatedAt(ctx, accountId),
    listDevices(ctx, { accountId, username }),
  ]);
  return {
    account: {
      username: account.username,
      email: account.email,
      createdAt: account.createdAt.toISOString(),
      emailVerified: account.emailVerified,
    },
    subscription: subscription === null ? null : webSubscription(subscription),
    credentials: createdAt === null ? null : { createdAt: createdAt.toISOString() },
    devices: { count: devices.length, limit: subscription?.isActive === true ? subscription.tier.deviceLimit : 0 },
    csrfToken: webSession.csrfToken,
  };
}

/**
 * The website's JSON API (rotki.com's paths where they exist): sign-up, login,
 * the account and its subscription, API credentials, devices and tiers. Every
 * handler calls the same domain functions as the premium API and the CLI.
 */
export async function webApiRoutes(app: FastifyInstance, options: WebApiOptions): Promise<void> {
  const { ctx, gateways } = options;
  const accountAttempts = failureCounter(options.counters, 'web:account', ACCOUNT_ATTEMPT_LIMIT, options.loginRateWindowMs);
  const addressAttempts = failureCounter(options.counters, 'web:address', options.loginRateLimit, options.loginRateWindowMs);

  await app.register(cookie);
  await app.register(session, { ctx, sessionTtlMs: options.sessionTtlMs });

  app.setErrorHandler(handleWebApiError);
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, WebErrorCode.NotFound, 'Not found'));

  // Credentials and account data must never sit in a shared or browser cache.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  /** Attempts per client address on each limited route (login, sign-up, …), counted before the body is read. */
  async function perAddress(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const now = ctx.clock.now();
    const subject = `${request.routeOptions.url ?? ''} ${request.ip}`;
    const wait = await addressAttempts.retryAfterSeconds(subject, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new WebApiError(429, WebErrorCode.RateLimited, webMessages.tooManyAttempts(wait));
    }
    await addressAttempts.recordFailure(subject, now);
  }

  async function refuseIfLimited(reply: FastifyReply, keys: string[]): Promise<void> {
    const now = ctx.clock.now();
    const waits = await Promise.all(keys.map((key) => accountAttempts.retryAfterSeconds(key, now)));
    const wait = Math.max(0, ...waits);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new WebApiError(429, WebErrorCode.RateLimited, webMessages.tooManyAttempts(wait));
    }
  }

  async function recordFailedAttempt(keys: string[]): Promise<void> {
    const now = ctx.clock.now();
    for (const key of keys) await accountAttempts.recordFailure(key, now);
  }

  async function endCurrentSession(request: FastifyRequest): Promise<void> {
    const token = request.cookies[SESSION_COOKIE];
    if (request.webSession !== null && token !== undefined) await deleteSession(ctx, token);
  }

  app.get(route(WEB_API_PATHS.csrf), { schema: webRoute({ summary: 'A CSRF token for the forms before login', response: { 200: CsrfResponse } }), config: { session: 'optional' } }, async (request, reply): Promise<CsrfResponse> => {
    return { csrfToken: app.csrfTokenFor(request, reply) };
  });

  app.post(
    route(WEB_API_PATHS.signup),
    {
      schema: webRoute({ summary: 'Sign up: an e-mail to confirm the address is sent (the same answer whether or not the address has an account)', body: SignupRequest, response: { 202: MailSentResponse } }),
      bodyLimit: WEB_BODY_LIMIT,
      onRequest: perAddress,
      config: { session: 'optional' },
    },
    async (request, reply): Promise<MailSentResponse> => {
      const body = SignupRequest.parse(request.body ?? {});
      const keys = [`signup:${body.username.trim().toLowerCase()}`, `signup:${body.email.trim().toLowerCase()}`];
      await refuseIfLimited(reply, keys);
      try {
        const { created } = await signUp(ctx, body, request.ip);
        // An address with an account counts as a refused attempt, without saying so.
        if (!created) await recordFailedAttempt(keys);
      } catch (error) {
        await recordFailedAttempt(keys);
        throw error;
      }
      reply.code(202);
      return { message: webMessages.checkInbox(body.email.trim().toLowerCase()) };
    },
  );

  app.post(
    route(WEB_API_PATHS.login),
    {
      schema: webRoute({ summary: 'Log in with username (or e-mail) and password (then the second factor, when the account has one)', body: LoginRequest, response: { 200: LoginResponse } }),
      bodyLimit: WEB_BODY_LIMIT,
      onRequest: perAddress,
      config: { session: 'optional' },
    },
    async (request, reply): Promise<LoginResponse> => {
      const body = LoginRequest.parse(request.body ?? {});
      // Keyed on the account, whether its username (in any case) or its e-mail was typed.
      const named = await findAccountRowByLogin(ctx, body.username);
      const keys = [named === undefined ? `login:${body.username.trim().toLowerCase()}` : `login:account:${Number(named.id)}`];
      await refuseIfLimited(reply, keys);
      const result = await passwordStep(ctx, body.username, body.password, {
        ttlMs: options.sessionTtlMs,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      if (result === null) {
        await recordFailedAttempt(keys);
        throw new WebApiError(401, WebErrorCode.WrongCredentials, webMessages.wrongCredentials());
      }
      if (result.kind === 'second_factor') {
        setPendingLogin(reply, result.token);
        return { secondFactor: result.methods };
      }
      // A new token at every login: a cookie planted before login is worth nothing after it.
      await endCurrentSession(request);
      reply.startSession(result.issued);
      return accountView(ctx, result.issued.session);
    },
  );

  app.post(route(WEB_API_PATHS.logout), { schema: webRoute({ summary: 'Log out', response: { 200: WebSuccess } }), config: { session: 'optional' } }, async (request, reply) => {
    await endCurrentSession(request);
    reply.endSession();
    return { success: true as const };
  });

  app.get(route(WEB_API_PATHS.account), { schema: webRoute({ summary: 'The account, its subscription, credentials and devices', response: { 200: AccountResponse } }), config: { session: 'required' } }, async (request): Promise<AccountResponse> => {
    return accountView(ctx, sessionOf(request));
  });

  app.get(route(WEB_API_PATHS.credentials), { schema: webRoute({ summary: 'View the API key and secret', response: { 200: WebCredentials } }), config: { session: 'required' } }, async (request): Promise<WebCredentials> => {
    return webCredentials(await viewCredentials(ctx, sessionOf(request).accountId, sourceOf(request)));
  });

  app.post(route(WEB_API_PATHS.credentials), { schema: webRoute({ summary: 'Create the API key and secret', response: { 201: WebCredentials } }), config: { session: 'required' } }, async (request, reply): Promise<WebCredentials> => {
    const pair = await createCredentials(ctx, sessionOf(request).accountId, sourceOf(request));
    reply.code(201);
    return webCredentials(pair);
  });

  app.post(route(WEB_API_PATHS.regenerateKeys), { schema: webRoute({ summary: 'A new key and secret; the old pair stops working at once', response: { 200: WebCredentials } }), config: { session: 'required' } }, async (request): Promise<WebCredentials> => {
    return webCredentials(await regenerateCredentials(ctx, sessionOf(request).accountId, sourceOf(request)));
  });

  app.post(
    route(WEB_API_PATHS.cancelSubscription),
    {
      schema: webRoute({ summary: 'Stop renewal, with an optional reason', body: CancelRequest, response: { 200: WebSubscription } }),
      bodyLimit: WEB_BODY_LIMIT,
      config: { session: 'required' },
    },
    async (request): Promise<WebSubscription> => {
      const { reason } = CancelRequest.parse(request.body ?? {});
      return webSubscription(await cancelRenewal(ctx, gateways, sessionOf(request).accountId, reason ?? null));
    },
  );
  await app.register(deviceWebApiRoutes, { ctx });

  await app.register(billingApiRoutes, { ctx, gateways });
  await app.register(accountApiRoutes, {
    ctx,
    backups: options.backups,
    sessionTtlMs: options.sessionTtlMs,
    perAddress,
    limiter: { refuseIfLimited, recordFailedAttempt },
    endCurrentSession,
  });
  await app.register(secondFactorApiRoutes, {
    ctx,
    sessionTtlMs: options.sessionTtlMs,
    perAddress,
    limiter: { refuseIfLimited, recordFailedAttempt },
    endCurrentSession,
    accountView: (session) => accountView(ctx, session),
  });
  await app.register(backupWebApiRoutes, { backups: options.backups });

  app.get(route(WEB_API_PATHS.availableTiers), { schema: webRoute({ summary: 'The plans on sale and their prices', response: { 200: AvailableTiers } }) }, async (): Promise<AvailableTiers> => {
    const tiers = await listTiers(ctx);
    const prices = await currentPrices(ctx, tiers);
    return {
      currency: ctx.billing.currency,
      tiers: tiers.map((tier) => ({ ...webTier(tier), prices: prices.get(tier.id) ?? { monthly: null, yearly: null } })),
    };
  });
}
