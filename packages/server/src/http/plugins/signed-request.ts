import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  API_KEY_HEADER,
  API_SIGN_HEADER,
  AuthErrorCode,
  SERVER_TIME_HEADER,
  authFailureStatus,
  messages,
  urlencode,
  NestingTooDeepError,
  type PremiumEndpoint,
  type PythonValue,
  type SignMethod,
} from '@rotki-premium/protocol';
import { recordAudit } from '../../domain/audit.ts';
import type { DomainContext } from '../../domain/context.ts';
import { touchDevice } from '../../domain/devices.ts';
import type { InstanceTelemetry } from '../../domain/system/telemetry.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';
import type { Signer } from '../../domain/credentials.ts';
import { AuthFailure, lookUpSigner, verifySignedRequest, type Subscriber } from '../signed/authenticate.ts';
import { failureCounter, type CounterStore } from '../../domain/failure-counters.ts';
import { BodyError, parseJsonBody } from './raw-body.ts';
import { prependRouteHook } from './route-hooks.ts';

/**
 * A backup's download and upload chunks move megabytes, and a chunk's body is
 * read only once its signature is accepted: their replay records are
 * committed at once instead of waiting a few milliseconds for others'.
 */
const BACKUP_TRANSFERS: ReadonlySet<SignMethod | null> = new Set<SignMethod>(['backup', 'backup/range']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Opts a route in to signed-request verification. */
    premium?: {
      endpoint: PremiumEndpoint;
      /**
       * True where a `device_identifier` parameter names the calling device
       * (PROTOCOL.md decision 7): a removed device is refused. False on the
       * device endpoints, where it names the device acted upon.
       */
      namesCaller: boolean;
    };
  }
  interface FastifyRequest {
    /** The owner of the request's API-KEY, looked up from the headers before the body is read. */
    signer?: Signer;
    subscriber?: Subscriber;
    /** The signed parameters as received, decoded. */
    signedParams?: Record<string, unknown>;
  }
  interface FastifyInstance {
    /** Verifies a request whose parameters the handler read itself (multipart uploads). */
    verifyPremiumRequest(
      request: FastifyRequest,
      reply: FastifyReply,
      endpoint: PremiumEndpoint,
      params: [string, string][],
    ): Promise<Subscriber | null>;
  }
}

export interface SignedRequestOptions {
  ctx: DomainContext;
  nonceWindowMs: number;
  failedSignatureLimit: number;
  failedSignatureWindowMs: number;
  metrics: ServerMetrics;
  /** Where failures are counted (shared by the instances on PostgreSQL or Redis). */
  counters: CounterStore;
  /** Counts failed signatures for the console's dashboard (summed over instances). */
  telemetry?: InstanceTelemetry;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The parsed JSON body; `{}` when there is none. */
function jsonBody(request: FastifyRequest): unknown {
  if (request.method !== 'GET') return request.body ?? {};
  // Fastify parses no GET body; the raw-body plugin kept the bytes (GET watchers sends `{}`),
  // and what the signature covers must be what was sent.
  const raw = request.rawBody;
  if (raw === undefined || raw.length === 0) return {};
  return parseJsonBody(raw);
}

/** S and the decoded parameters, rebuilt per PROTOCOL.md §4.5. */
function signedString(
  request: FastifyRequest,
  endpoint: PremiumEndpoint,
): { encoded: string | Buffer; params: Record<string, unknown> } {
  switch (endpoint.transport) {
    case 'query': {
      const url = request.raw.url ?? '';
      const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
      return { encoded: query, params: Object.fromEntries(new URLSearchParams(query)) };
    }
    case 'form': {
      const body = request.rawBody ?? Buffer.alloc(0);
      return { encoded: body, params: Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
    }
    case 'json': {
      const body = jsonBody(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        // Malformed input, not a bad signature: a 400 that does not count toward the failure limit.
        throw new BodyError(400, messages.invalidRequest('the body must be a JSON object'));
      }
      const entries = Object.entries(body as Record<string, PythonValue>);
      try {
        return { encoded: urlencode(entries), params: body as Record<string, unknown> };
      } catch (error) {
        if (error instanceof NestingTooDeepError) throw new BodyError(400, messages.invalidRequest(error.message));
        throw error;
      }
    }
    default:
      return { encoded: '', params: {} };
  }
}

/**
 * An address is shared by every subscriber behind one NAT or proxy, so it may
 * fail this many times the per-key limit: one app with a wrong secret must not
 * lock out the other keys behind its address, while guessing keys from one
 * address is still slowed down.
 */
export const ADDRESS_LIMIT_FACTOR = 10;

/**
 * Signed requests in two steps. `onRequest`, from the headers alone: missing
 * headers, then the API key (format, then one lookup); an unknown key is
 * refused before a byte of the body is read. `preHandler`: the signature over
 * the (size-capped) body, nonce, subscription and replay.
 *
 * The failure limits slow failures only: while a key or an address is over
 * its limit, failed requests get 429 instead of 401/403, and a correctly
 * signed request is still served, so knowing someone's key never locks them out.
 */
async function signedRequestPlugin(app: FastifyInstance, options: SignedRequestOptions): Promise<void> {
  const { ctx, metrics } = options;
  const keyLimiter = failureCounter(options.counters, 'signature:key', options.failedSignatureLimit, options.failedSignatureWindowMs);
  const addressLimiter = failureCounter(
    options.counters,
    'signature:address',
    options.failedSignatureLimit * ADDRESS_LIMIT_FACTOR,
    options.failedSignatureWindowMs,
  );

  async function auditLimitReached(request: FastifyRequest, subject: 'api_key' | 'address', signer: Signer | undefined): Promise<void> {
    await recordAudit(ctx.store.db, ctx.clock, {
      accountId: signer === undefined ? null : signer.accountId,
      action: 'signature.rate_limited',
      detail: { subject, path: request.routeOptions.url },
      ip: request.ip,
    });
  }

  /**
   * Counts a failed key or signature. Returns the seconds to wait when the key
   * or the address was already over its limit (that failure is not counted
   * again), else 0.
   */
  async function countFailure(request: FastifyRequest, apiKey: string, signer: Signer | undefined): Promise<number> {
    const now = ctx.clock.now();
    options.telemetry?.count('signature_failed');
    const wait = Math.max(
      await addressLimiter.retryAfterSeconds(request.ip, now),
      signer === undefined ? 0 : await keyLimiter.retryAfterSeconds(apiKey, now),
    );
    if (wait > 0) return wait;
    // Only a known key is counted per key: counting made-up keys would only fill memory.
    const keyReached = signer !== undefined && (await keyLimiter.recordFailure(apiKey, now));
    const addressReached = await addressLimiter.recordFailure(request.ip, now);
    if (keyReached) await auditLimitReached(request, 'api_key', signer);
    else if (addressReached) await auditLimitReached(request, 'address', signer);
    return 0;
  }

  async function refuse(request: FastifyRequest, reply: FastifyReply, endpoint: PremiumEndpoint, failure: AuthFailure) {
    const now = ctx.clock.now();
    if (failure.isSignatureFailure) {
      const wait = await countFailure(request, header(request, API_KEY_HEADER) ?? '', request.signer);
      if (wait > 0) {
        metrics.signedAuth('rate_limited');
        return reply.code(429).header('retry-after', String(wait)).send({ error: messages.rateLimited(wait), code: 'rate_limited' });
      }
    }
    metrics.signedAuth(failure.code);
    if (failure.code === AuthErrorCode.NonceOutsideWindow) {
      reply.header(SERVER_TIME_HEADER, String(now)).header('date', new Date(now).toUTCString());
    }
    request.log.info({ code: failure.code }, 'premium request refused');
    return reply.code(authFailureStatus(endpoint.prefix === '/api/1' ? 'api' : 'nest')).send({
      error: failure.message,
      code: failure.code,
    });
  }

  /** The headers' part: refuses at once (and returns null) when they cannot be right, whatever the body. */
  async function identify(request: FastifyRequest, reply: FastifyReply, endpoint: PremiumEndpoint): Promise<Signer | null> {
    const apiKey = header(request, API_KEY_HEADER);
    const apiSign = header(request, API_SIGN_HEADER);
    if (apiKey === undefined || apiKey === '' || apiSign === undefined || apiSign === '' || endpoint.signMethod === null) {
      await refuse(request, reply, endpoint, new AuthFailure(AuthErrorCode.MissingCredentials, messages.missingCredentials()));
      return null;
    }
    try {
      // A request with a nonce records a replay row, whose commit reads the key's row again.
      request.signer = await lookUpSigner(ctx, apiKey, { confirmedByReplay: endpoint.signMethod !== 'watchers' });
      return request.signer;
    } catch (error) {
      if (!(error instanceof AuthFailure)) throw error;
      await refuse(request, reply, endpoint, error);
      return null;
    }
  }

  async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    endpoint: PremiumEndpoint,
    namesCaller: boolean,
    rebuilt: { encoded: string | Buffer; params: Record<string, unknown> } | null,
  ): Promise<Subscriber | null> {
    const signer = request.signer ?? (await identify(request, reply, endpoint));
    if (signer === null || endpoint.signMethod === null) return null;
    try {
      const { encoded, params } = rebuilt ?? signedString(request, endpoint);
      const nonce = params.nonce;
      const subscriber = await verifySignedRequest(
        ctx,
        { nonceWindowMs: options.nonceWindowMs, replayCommit: BACKUP_TRANSFERS.has(endpoint.signMethod) ? 'now' : 'batched' },
        {
          apiKey: signer.apiKey,
          apiSign: header(request, API_SIGN_HEADER) ?? '',
          signMethod: endpoint.signMethod,
          encodedParams: encoded,
          nonce: nonce === undefined || nonce === null ? undefined : String(nonce),
          requireNonce: endpoint.signMethod !== 'watchers',
        },
        signer,
      );
      const caller = params.device_identifier;
      if (namesCaller && typeof caller === 'string' && caller !== '') {
        if (!(await touchDevice(ctx, subscriber.accountId, caller))) {
          throw new AuthFailure(AuthErrorCode.DeviceRemoved, messages.deviceRemoved());
        }
      }
      request.signedParams = params;
      request.subscriber = subscriber;
      metrics.signedAuth('accepted');
      return subscriber;
    } catch (error) {
      if (error instanceof AuthFailure) {
        // A key kept from an earlier read may be gone since: not counted as a known key.
        if (error.code === AuthErrorCode.UnknownApiKey) request.signer = undefined;
        await refuse(request, reply, endpoint, error);
        return null;
      }
      throw error;
    }
  }

  app.decorate(
    'verifyPremiumRequest',
    (request: FastifyRequest, reply: FastifyReply, endpoint: PremiumEndpoint, params: [string, string][]) =>
      authenticate(request, reply, endpoint, true, {
        encoded: urlencode(params),
        params: Object.fromEntries(params),
      }),
  );

  // Only on the routes that opt in (`config.premium`), with their endpoint known at registration.
  app.addHook('onRoute', (route) => {
    const premium = route.config?.premium;
    if (premium === undefined || premium.endpoint.signMethod === null) return;
    const { endpoint, namesCaller } = premium;
    // Before the body is read: a request without a known key costs one lookup and no body work.
    prependRouteHook(route, 'onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if ((await identify(request, reply, endpoint)) === null) return reply;
    });
    // Multipart uploads read their fields in the handler, which verifies them (`verifyPremiumRequest`).
    if (endpoint.transport === 'multipart') return;
    prependRouteHook(route, 'preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if ((await authenticate(request, reply, endpoint, namesCaller, null)) === null) return reply;
    });
  });
}

export default fp(signedRequestPlugin, { name: 'signed-request', fastify: '5.x', dependencies: ['raw-body'] });
