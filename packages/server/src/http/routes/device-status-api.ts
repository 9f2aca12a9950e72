import type { FastifyInstance } from 'fastify';
import { DeviceStatus, ENDPOINTS } from '@rotki-premium/protocol';
import type { DomainContext } from '../../domain/context.ts';
import { devicePolicyOf, isDeviceStale, listDeviceReplacements } from '../../domain/device-replacements.ts';
import { listDevices } from '../../domain/devices.ts';
import { SIGNED_BODY_LIMIT } from '../body-limits.ts';
import { premiumRoute } from '../openapi/route-schema.ts';
import { NonceQuery } from './premium-api.ts';

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * `GET /nest/1/devices/status` (issue 9, our app only): which devices are
 * stale and which stale devices were replaced at the limit. The rotki app's
 * `GET /nest/1/devices` stays exactly as it is (its list is checked strictly).
 */
export async function deviceStatusApiRoutes(app: FastifyInstance, { ctx }: { ctx: DomainContext }): Promise<void> {
  app.get(
    '/nest/1/devices/status',
    {
      schema: premiumRoute({
        summary: 'Which devices are stale, and the stale devices replaced at the limit (our app only)',
        querystring: NonceQuery,
        response: { 200: DeviceStatus },
      }),
      bodyLimit: SIGNED_BODY_LIMIT,
      config: { premium: { endpoint: ENDPOINTS.deviceStatus, namesCaller: true } },
    },
    async (request): Promise<DeviceStatus> => {
      const subscriber = request.subscriber;
      if (subscriber === undefined) throw new Error('route reached without a verified subscriber');
      const [devices, replacements] = await Promise.all([listDevices(ctx, subscriber), listDeviceReplacements(ctx, subscriber.accountId)]);
      const policy = devicePolicyOf(ctx);
      return {
        stale_after_days: policy.staleAfterDays,
        replaces_stale: policy.replaceStale,
        devices: devices.map((device) => ({ device_identifier: device.device_identifier, last_seen_at: device.last_seen_at, stale: isDeviceStale(ctx, device) })),
        replacements: replacements.map((r) => ({
          replaced_device_name: r.replacedName,
          replaced_platform: r.replacedPlatform,
          replaced_last_seen_at: seconds(r.replacedLastSeenAt),
          device_name: r.name,
          platform: r.platform,
          replaced_at: seconds(r.replacedAt),
        })),
      };
    },
  );
}
