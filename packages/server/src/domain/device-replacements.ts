import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import type { Clock } from './clock.ts';
import type { DomainContext } from './context.ts';
import { DEFAULT_DEVICE_POLICY, isStale, type DevicePolicy } from './device-policy.ts';
import type { StoredDevice } from './devices.ts';

/** What a replacement tells the subscriber; times in milliseconds. */
export interface DeviceReplacement {
  replacedName: string;
  replacedPlatform: string;
  replacedLastSeenAt: number;
  name: string;
  platform: string;
  replacedAt: number;
}

/** Replacements shown at most (the newest). */
const REPLACEMENTS_SHOWN = 10;

export function devicePolicyOf(ctx: DomainContext): DevicePolicy {
  return ctx.devices ?? DEFAULT_DEVICE_POLICY;
}

/** Whether a listed device is stale now. */
export function isDeviceStale(ctx: DomainContext, device: StoredDevice): boolean {
  return isStale(devicePolicyOf(ctx), device.last_seen_at * 1000, ctx.clock.now());
}

/**
 * The device a registration at the limit may replace: the longest-unseen
 * stale one (the oldest registration on a tie), or null when the policy does
 * not replace, the account is over its limit (a downgrade), or none is stale.
 */
export function replaceableDevice(ctx: DomainContext, devices: StoredDevice[], limit: number): StoredDevice | null {
  if (!devicePolicyOf(ctx).replaceStale || devices.length !== limit) return null;
  const stale = devices.filter((device) => isDeviceStale(ctx, device));
  stale.sort((a, b) => a.last_seen_at - b.last_seen_at || a.id - b.id);
  return stale[0] ?? null;
}

/**
 * Removes the stale device and records the replacement and its audit event,
 * in the caller's transaction (the one holding the account lock).
 */
export async function replaceDevice(
  trx: Kysely<Database>,
  clock: Clock,
  accountId: number,
  replaced: StoredDevice,
  device: { identifier: string; name: string; platform: string },
  ip: string | null,
): Promise<void> {
  const now = clock.now();
  await trx.deleteFrom('devices').where('id', '=', replaced.id).where('account_id', '=', accountId).execute();
  await trx
    .insertInto('device_replacements')
    .values({
      account_id: accountId,
      replaced_device_name: replaced.device_name,
      replaced_platform: replaced.platform,
      replaced_last_seen_at: replaced.last_seen_at * 1000,
      device_name: device.name,
      platform: device.platform,
      replaced_at: now,
    })
    .execute();
  await recordAudit(trx, clock, {
    accountId,
    action: 'device.replaced_stale',
    detail: {
      replaced: { device_identifier: replaced.device_identifier, device_name: replaced.device_name, platform: replaced.platform, last_seen_at: replaced.last_seen_at },
      device: { device_identifier: device.identifier, device_name: device.name, platform: device.platform },
    },
    ip,
  });
}

/** The account's replacements, newest first. */
export async function listDeviceReplacements(ctx: DomainContext, accountId: number): Promise<DeviceReplacement[]> {
  const rows = await ctx.store.db
    .selectFrom('device_replacements')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(REPLACEMENTS_SHOWN)
    .execute();
  return rows.map((row) => ({
    replacedName: row.replaced_device_name,
    replacedPlatform: row.replaced_platform,
    replacedLastSeenAt: Number(row.replaced_last_seen_at),
    name: row.device_name,
    platform: row.platform,
    replacedAt: Number(row.replaced_at),
  }));
}
