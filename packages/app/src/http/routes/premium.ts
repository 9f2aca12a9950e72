import type { FastifyInstance } from 'fastify';
import { DeviceIdentifier, DeviceName } from '@rotki-premium/protocol';
import { z } from 'zod';
import type { AppCore } from '../../app-core.ts';
import { ok } from '../envelope.ts';

/** `force` (our app only): replace the server backup even when another device uploaded since this one synced. */
const SyncBody = z.object({ action: z.enum(['upload', 'download']), force: z.boolean().default(false) });
const SyncStatusQuery = z.object({ refresh: z.enum(['true', 'false']).optional() });
const RenameBody = z.object({ device_identifier: DeviceIdentifier, device_name: DeviceName });
const DeleteBody = z.object({ device_identifier: DeviceIdentifier });

/** Premium for the logged-in user: status, removal, sync, devices and capabilities. */
export async function premiumRoutes(app: FastifyInstance, { core }: { core: AppCore }): Promise<void> {
  app.get('/api/1/premium/status', async () => {
    const status = core.premiumStatus();
    return ok(status, status.message ?? '');
  });

  /** Runs the hourly check now (the UI's "Check now"). */
  app.post('/api/1/premium/status', async () => {
    const status = await core.checkPremium('manual');
    return ok(status, status.message ?? '');
  });

  app.delete('/api/1/premium', async () => {
    const status = core.removePremium();
    return ok(true, status.message ?? '');
  });

  app.put('/api/1/premium/sync', async (request) => {
    const { action, force } = SyncBody.parse(request.body);
    const outcome = await core.sync(action, () => {}, { force });
    return ok(outcome.result, outcome.message);
  });

  /**
   * Cancel: stops the running upload (the PUT above then answers `sync_cancelled`); false when none runs.
   * A URL of its own: a browser holds a second request to the URL of a PUT in flight until that PUT ends.
   */
  app.post('/api/1/premium/sync/cancel', async () => {
    const cancelled = core.cancelSync();
    return ok(cancelled, cancelled ? 'Cancelling the upload' : 'No upload is running');
  });

  /** The sync state; `?refresh=true` looks at the server's backup first. */
  app.get('/api/1/premium/sync', async (request) => {
    const { refresh } = SyncStatusQuery.parse(request.query);
    return ok(await core.syncStatus(refresh === 'true'));
  });

  app.get('/api/1/premium/devices', async () => ok(await core.listDevices()));

  /** Registers this device again with the stored pair ("Setup again" after it was removed). */
  app.put('/api/1/premium/devices', async () => {
    const status = await core.setupPremiumAgain();
    return ok(status, status.message ?? '');
  });

  app.patch('/api/1/premium/devices', async (request) => {
    const body = RenameBody.parse(request.body);
    await core.renameDevice(body.device_identifier, body.device_name);
    return ok(true);
  });

  app.delete('/api/1/premium/devices', async (request) => {
    const body = DeleteBody.parse(request.body);
    await core.deleteDevice(body.device_identifier);
    return ok(true);
  });

  app.get('/api/1/premium/capabilities', async () => ok(await core.capabilities()));
}
