import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DeleteDeviceRequest,
  DeviceCheckRequest,
  DeviceLimitError,
  DeviceList,
  ENDPOINTS,
  ErrorResponse,
  LastDataMetadata,
  Nonce,
  RegisterDeviceRequest,
  RegisteredResponse,
  RenameDeviceRequest,
  SuccessResponse,
  UnlocksResponse,
  UserLimits,
  messages,
  type PremiumEndpoint,
} from '@rotki-premium/protocol';
import { z } from 'zod';
import type { DomainContext } from '../../domain/context.ts';
import { DomainError } from '../../domain/errors.ts';
import {
  DeviceLimitReachedError,
  listDevices,
  registerDevice,
  removeDevice,
  renameDevice,
  touchDevice,
  wireDevice,
} from '../../domain/devices.ts';
import { listTiers, unlocksOf, userLimitsOf } from '../../domain/tiers.ts';
import { SIGNED_BODY_LIMIT } from '../body-limits.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';
import { premiumRoute, type RouteDoc } from '../openapi/route-schema.ts';
import type { Subscriber } from '../signed/authenticate.ts';

function signed(endpoint: PremiumEndpoint, namesCaller: boolean, doc: RouteDoc) {
  return {
    schema: premiumRoute(doc),
    bodyLimit: SIGNED_BODY_LIMIT,
    // GET bodies carry signed parameters on form routes and on GET watchers (`{}`).
    config: { premium: { endpoint, namesCaller }, readGetBody: endpoint.transport === 'form' || endpoint.transport === 'json' },
  };
}

/** The signed parameters of GET calls that send them in the query string. */
export const NonceQuery = z.object({ nonce: Nonce });

const FORM_ON_GET = 'The signed parameters travel as an `application/x-www-form-urlencoded` body on this GET:';

function subscriberOf(request: FastifyRequest): Subscriber {
  if (request.subscriber === undefined) throw new Error('route reached without a verified subscriber');
  return request.subscriber;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  return schema.parse(value);
}

/** Answers with the empty metadata until the backup store reports otherwise. */
export type BackupMetadataSource = (accountId: number) => Promise<LastDataMetadata>;

export const EMPTY_METADATA: LastDataMetadata = { upload_ts: 0, last_modify_ts: 0, data_hash: '', data_size: 0 };

export interface PremiumApiOptions {
  ctx: DomainContext;
  metrics: ServerMetrics;
  backupMetadata?: BackupMetadataSource;
}

/** The signed premium API of PROTOCOL.md §2 (backups excepted). */
export async function premiumApiRoutes(app: FastifyInstance, options: PremiumApiOptions): Promise<void> {
  const { ctx, metrics } = options;
  const backupMetadata = options.backupMetadata ?? (async () => EMPTY_METADATA);

  app.get(
    '/api/1/last_data_metadata',
    signed(ENDPOINTS.lastDataMetadata, true, {
      summary: 'What backup the server holds (zeros: none)',
      description: `${FORM_ON_GET} \`nonce\`.`,
      response: { 200: LastDataMetadata },
    }),
    async (request) => {
      return backupMetadata(subscriberOf(request).accountId);
    },
  );

  app.get(
    '/api/1/statistics_rendererv2',
    signed(ENDPOINTS.statisticsRenderer, true, {
      summary: 'The premium UI bundle: not served by this server (always 400 with a message)',
      description: `${FORM_ON_GET} \`version\`, \`nonce\`.`,
      response: { 400: ErrorResponse },
    }),
    async (_request, reply) => {
      return reply.code(400).send({ error: messages.premiumComponentsUnavailable() });
    },
  );

  // Watchers are signed without a nonce (PROTOCOL.md §9.2); GET lists none, changes are refused.
  const watchers = 'Signed over the JSON body (`{}` on GET) without a nonce.';
  app.get(
    '/api/1/watchers',
    signed(ENDPOINTS.watchers, false, { summary: 'Server-side watchers: none', description: watchers, response: { 200: z.array(z.unknown()) } }),
    async () => [],
  );
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/api/1/watchers',
    ...signed(ENDPOINTS.watchers, false, {
      summary: 'Changing watchers: not supported (400 with a message)',
      description: watchers,
      response: { 400: ErrorResponse },
    }),
    handler: async (_request, reply) => reply.code(400).send({ error: messages.watchersUnsupported() }),
  });

  app.get(
    '/nest/1/devices',
    signed(ENDPOINTS.listDevices, true, { summary: 'The devices and the plan\'s device limit', querystring: NonceQuery, response: { 200: DeviceList } }), async (request): Promise<DeviceList> => {
    const subscriber = subscriberOf(request);
    const devices = await listDevices(ctx, subscriber);
    return { devices: devices.map(wireDevice), limit: subscriber.tier.deviceLimit };
    },
  );

  app.post(
    '/nest/1/devices/check',
    signed(ENDPOINTS.checkDevice, false, {
      summary: 'Whether this device is registered (404 when not)',
      body: DeviceCheckRequest,
      response: { 200: RegisteredResponse },
    }),
    async (request, reply) => {
      const subscriber = subscriberOf(request);
      const body = parse(DeviceCheckRequest, request.body);
      if (await touchDevice(ctx, subscriber.accountId, body.device_identifier)) return { registered: true };
      return reply.code(404).send({ error: messages.deviceNotRegistered() });
    },
  );

  app.put(
    '/nest/1/devices',
    signed(ENDPOINTS.registerDevice, false, {
      summary: 'Register this device, within the plan\'s device limit',
      body: RegisterDeviceRequest,
      response: { 201: RegisteredResponse, 409: ErrorResponse, 422: DeviceLimitError },
    }),
    async (request, reply: FastifyReply) => {
      const subscriber = subscriberOf(request);
      const body = parse(RegisterDeviceRequest, request.body);
      try {
        const outcome = await registerDevice(
          ctx,
          { ...subscriber, deviceLimit: subscriber.tier.deviceLimit, tierName: subscriber.tier.name },
          { identifier: body.device_identifier, name: body.device_name, platform: body.platform },
          { ip: request.ip },
        );
        metrics.deviceRegistration(outcome);
        if (outcome === 'already_registered') return reply.code(409).send({ error: messages.deviceExists() });
        return reply.code(201).send({ registered: true });
      } catch (error) {
        if (error instanceof DeviceLimitReachedError) {
          metrics.deviceRegistration('limit_reached');
          const body: DeviceLimitError = { error: error.message, devices: error.devices, limit: error.limit };
          return reply.code(422).send(body);
        }
        throw error;
      }
    },
  );

  app.patch(
    '/nest/1/devices',
    signed(ENDPOINTS.renameDevice, false, { summary: 'Rename a device', body: RenameDeviceRequest, response: { 200: SuccessResponse } }),
    async (request) => {
      const subscriber = subscriberOf(request);
      const body = parse(RenameDeviceRequest, request.body);
      await renameDevice(ctx, subscriber, { identifier: body.device_identifier }, body.device_name, { ip: request.ip, via: 'api' });
      return { success: true };
    },
  );

  app.delete(
    '/nest/1/devices',
    signed(ENDPOINTS.deleteDevice, false, { summary: 'Remove a device (a device already gone counts as removed)', body: DeleteDeviceRequest, response: { 200: SuccessResponse } }),
    async (request) => {
      const subscriber = subscriberOf(request);
      const body = parse(DeleteDeviceRequest, request.body);
      try {
        await removeDevice(ctx, subscriber, { identifier: body.device_identifier }, { ip: request.ip });
      } catch (error) {
        // Idempotent (issue 8): a device of this account that is already gone is the outcome asked for,
        // and rotki shows a 404 here as "Failed to contact rotki server".
        if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
      }
      return { success: true };
    },
  );

  app.get(
    '/nest/1/limits',
    signed(ENDPOINTS.limits, true, { summary: 'The plan\'s limits and capabilities', querystring: NonceQuery, response: { 200: UserLimits } }), async (request): Promise<UserLimits> => {
    const subscriber = subscriberOf(request);
    return userLimitsOf(subscriber.tier, unlocksOf(subscriber.tiers));
    },
  );

  const unlocks = premiumRoute({ summary: 'Which plan unlocks each capability (not signed)', response: { 200: UnlocksResponse } });
  app.get('/nest/1/limits/unlocks', { schema: unlocks }, async (): Promise<UnlocksResponse> => {
    return { unlocks: unlocksOf(await listTiers(ctx)) };
  });
}
