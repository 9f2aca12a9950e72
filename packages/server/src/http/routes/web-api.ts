import cookie from '@fastify/cookie';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountResponse,
  AvailableTiers,
  CsrfResponse,
  DeviceIdParam,
  LoginRequest,
  LoginResponse,
  MailSentResponse,
  RenameDeviceBody,
  SignupRequest,
  WEB_API_PATHS,
  WebCredentials,
  WebDevice,
  WebDeviceList,
  WebErrorCode,
  WebSubscription,
  WebSuccess,
  webMessages,
} from '@rotki-premium/protocol/web-api';
import { CancelRequest } from '@rotki-premium/protocol/billing-api';
import { ZodError } from 'zod';
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
  type AuditSource,
} from '../../domain/credentials.ts';
import { devicePolicyOf, isDeviceStale, listDeviceReplacements } from '../../domain/device-replacements.ts';
import { listDevices, removeDevice, renameDevice, type DeviceOwner } from '../../domain/devices.ts';
import { DomainError, type DomainErrorKind } from '../../domain/errors.ts';
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
import { billingApiRoutes } from './billing-api.ts';
import { secondFactorApiRoutes, setPendingLogin } from './second-factor-api.ts';
import { webDevice, webDeviceReplacement, webSubscription, webTier } from './web-api-views.ts';

export const WEB_API_PREFIX = '/webapi';
/** Web API bodies are small forms. */
const WEB_BODY_LIMIT = 16 * 1024;
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

const STATUS_OF_KIND: Record<DomainErrorKind, [number, string]> = {
  invalid: [400, WebErrorCode.InvalidInput],
  forbidden: [403, WebErrorCode.Forbidden],
  not_found: [404, WebErrorCode.NotFound],
  conflict: [409, WebErrorCode.Conflict],
};

/** Paths are declared in full in the protocol package; routes live under the plugin's prefix. */
function route(path: string): string {
  return path.slice(WEB_API_PREFIX.length);
}

function sessionOf(request: FastifyRequest): WebSession {
  if (request.webSession === null) throw new Error('route reached without a session');
  return request.webSession;
}

function ownerOf(request: FastifyRequest): DeviceOwner {
  const { accountId, username } = sessionOf(request);
  return { accountId, username };
}

function sourceOf(request: FastifyRequest): AuditSource {
  return { ip: request.ip, via: 'web' };
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

function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: field === undefined ? { code, message } : { code, message, field } });
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

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof WebApiError) return sendError(reply, error.statusCode, error.code, error.message);
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const field = issue?.path.join('.') ?? '';
      return sendError(reply, 400, WebErrorCode.InvalidInput, issue?.message ?? 'Invalid input', field === '' ? undefined : field);
    }
    if (error instanceof DomainError) {
      const [status, code] = STATUS_OF_KIND[error.kind];
      if (error.code === WebErrorCode.RateLimited) return sendError(reply, 429, error.code, error.message);
      return sendError(reply, status, error.code ?? code, error.message);
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) return sendError(reply, status, WebErrorCode.BadRequest, error.message);
    request.log.error({ err: error }, 'web API request failed');
    return sendError(reply, 500, WebErrorCode.Internal, 'Internal server error');
  });
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

  app.get(route(WEB_API_PATHS.devices), { schema: webRoute({ summary: 'The devices and the plan\'s device limit', response: { 200: WebDeviceList } }), config: { session: 'required' } }, async (request): Promise<WebDeviceList> => {
    const owner = ownerOf(request);
    const [devices, subscription, replacements] = await Promise.all([
      listDevices(ctx, owner),
      currentSubscription(ctx, owner.accountId),
      listDeviceReplacements(ctx, owner.accountId),
    ]);
    const policy = devicePolicyOf(ctx);
    return {
      devices: devices.map((device) => webDevice(device, isDeviceStale(ctx, device))),
      limit: subscription?.isActive === true ? subscription.tier.deviceLimit : 0,
      staleAfterDays: policy.staleAfterDays,
      replacesStale: policy.replaceStale,
      replacements: replacements.map(webDeviceReplacement),
    };
  });

  app.patch(
    `${route(WEB_API_PATHS.devices)}:id`,
    {
      schema: webRoute({ summary: 'Rename a device', params: DeviceIdParam, body: RenameDeviceBody, response: { 200: WebDevice } }),
      bodyLimit: WEB_BODY_LIMIT,
      config: { session: 'required' },
    },
    async (request): Promise<WebDevice> => {
      const { id } = DeviceIdParam.parse(request.params);
      const { label } = RenameDeviceBody.parse(request.body ?? {});
      const device = await renameDevice(ctx, ownerOf(request), { id }, label, sourceOf(request));
      return webDevice(device, isDeviceStale(ctx, device));
    },
  );

  app.delete(`${route(WEB_API_PATHS.devices)}:id`, { schema: webRoute({ summary: 'Remove a device', params: DeviceIdParam, response: { 200: WebSuccess } }), config: { session: 'required' } }, async (request) => {
    const { id } = DeviceIdParam.parse(request.params);
    await removeDevice(ctx, ownerOf(request), { id }, sourceOf(request));
    return { success: true as const };
  });

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
