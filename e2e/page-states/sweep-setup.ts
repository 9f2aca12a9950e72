import { call, deviceId, ENDPOINTS, registration, type Credentials } from '../../packages/server/test/support/rotki-app.ts';
import type { Site } from '../support/site.ts';

/**
 * What both halves of the page-state sweep set up their site with
 * (`page-states-website.e2e.test.ts` and `page-states-app.e2e.test.ts`, two
 * files so that they run side by side).
 */

/** Sites that replace a stale device at the limit (issue 9), so the sweep sees the notice. */
export const REPLACING = { ROTKI_PREMIUM_REPLACE_STALE_DEVICES: 'true' };

export async function registerDevice(site: Site, credentials: Credentials, name: string, platform: string): Promise<void> {
  const result = await call(site.server.url, credentials, ENDPOINTS.registerDevice, registration(deviceId(`${credentials.apiKey}-${name}`), name, platform));
  if (result.status !== 201) throw new Error(`registering ${name} answered ${result.status}`);
}

/** A device registered above, as if unseen for `days` (stale after the default 90). */
export async function unseenFor(site: Site, credentials: Credentials, name: string, days: number): Promise<void> {
  await site.domain.ctx.store.db
    .updateTable('devices')
    .set({ last_seen_at: Date.now() - days * 86_400_000 })
    .where('device_identifier', '=', deviceId(`${credentials.apiKey}-${name}`))
    .execute();
}
