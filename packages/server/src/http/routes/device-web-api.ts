import type { FastifyInstance } from 'fastify';
import { DeviceIdParam, RenameDeviceBody, WEB_API_PATHS, WebDevice, WebDeviceList, WebSuccess } from '@rotki-premium/protocol/web-api';
import type { DomainContext } from '../../domain/context.ts';
import { devicePolicyOf, isDeviceStale, listDeviceReplacements } from '../../domain/device-replacements.ts';
import { listDevices, removeDevice, renameDevice } from '../../domain/devices.ts';
import { currentSubscription } from '../../domain/subscriptions.ts';
import { webRoute } from '../openapi/route-schema.ts';
import { WEB_BODY_LIMIT, ownerOf, route, sourceOf } from './web-api-request.ts';
import { webDevice, webDeviceReplacement } from './web-api-views.ts';

/** The account's devices on the website: the list with the plan's limit, rename, remove. Registered inside the web API. */
export async function deviceWebApiRoutes(app: FastifyInstance, options: { ctx: DomainContext }): Promise<void> {
  const { ctx } = options;

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
}
