import { messages, type Device } from '@rotki-premium/protocol';
import type { Kysely } from 'kysely';
import { lockAccount } from '../store/database.ts';
import type { Database, DeviceRow } from '../store/schema.ts';
import { recordAudit } from './audit.ts';
import { replaceableDevice, replaceDevice } from './device-replacements.ts';
import { notifySecurityChange } from './security-notices.ts';
import { unixSeconds } from './clock.ts';
import type { DomainContext } from './context.ts';
import { DomainError, invalid, notFound } from './errors.ts';
import type { AuditSource } from './credentials.ts';

/** `last_seen_at` is written at most once a minute per device (PROTOCOL.md decision 6). */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;
export const DEVICE_NAME_MAX = 100;

export class DeviceLimitReachedError extends DomainError {
  readonly devices: Device[];
  readonly limit: number;

  constructor(message: string, devices: Device[], limit: number) {
    super('forbidden', message);
    this.name = 'DeviceLimitReachedError';
    this.devices = devices;
    this.limit = limit;
  }
}

export interface DeviceOwner {
  accountId: number;
  username: string;
}

export interface StoredDevice extends Device {
  id: number;
}

function toDevice(row: DeviceRow, username: string): StoredDevice {
  return {
    id: Number(row.id),
    device_identifier: row.device_identifier,
    device_name: row.device_name,
    platform: row.platform,
    user: username,
    last_seen_at: unixSeconds(Number(row.last_seen_at)),
    created_at: unixSeconds(Number(row.created_at)),
  };
}

/** Strips the internal id for the premium API. */
export function wireDevice({ id: _id, ...device }: StoredDevice): Device {
  return device;
}

export function normaliseDeviceName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || [...trimmed].length > DEVICE_NAME_MAX) throw invalid(messages.invalidDeviceName());
  return trimmed;
}

async function selectDevices(db: Kysely<Database>, owner: DeviceOwner): Promise<StoredDevice[]> {
  const rows = await db.selectFrom('devices').selectAll().where('account_id', '=', owner.accountId).orderBy('id').execute();
  return rows.map((row) => toDevice(row, owner.username));
}

export function listDevices(ctx: DomainContext, owner: DeviceOwner): Promise<StoredDevice[]> {
  return selectDevices(ctx.store.db, owner);
}

export async function isDeviceRegistered(ctx: DomainContext, accountId: number, identifier: string): Promise<boolean> {
  const row = await ctx.store.db
    .selectFrom('devices')
    .select('id')
    .where('account_id', '=', accountId)
    .where('device_identifier', '=', identifier)
    .executeTakeFirst();
  return row !== undefined;
}

/** A registered device's name and platform, or null. */
export async function findDeviceNaming(
  ctx: DomainContext,
  accountId: number,
  identifier: string,
): Promise<{ name: string; platform: string } | null> {
  const row = await ctx.store.db
    .selectFrom('devices')
    .select(['device_name', 'platform'])
    .where('account_id', '=', accountId)
    .where('device_identifier', '=', identifier)
    .executeTakeFirst();
  return row === undefined ? null : { name: row.device_name, platform: row.platform };
}

/**
 * Marks a device as seen now. Returns false when the device is not registered.
 * Writes only when the stored value is older than a minute.
 */
export async function touchDevice(ctx: DomainContext, accountId: number, identifier: string): Promise<boolean> {
  const { db } = ctx.store;
  const row = await db
    .selectFrom('devices')
    .select(['id', 'last_seen_at'])
    .where('account_id', '=', accountId)
    .where('device_identifier', '=', identifier)
    .executeTakeFirst();
  if (row === undefined) return false;
  const now = ctx.clock.now();
  if (now - Number(row.last_seen_at) >= LAST_SEEN_WRITE_INTERVAL_MS) {
    await db.updateTable('devices').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  }
  return true;
}

export interface NewDevice {
  identifier: string;
  name: string;
  platform: string;
}

export type RegisterOutcome = 'registered' | 'already_registered';

/**
 * Registers a device under the tier's limit. The account row is locked for the
 * whole read-count-insert, so concurrent registrations (on any instance) are
 * serialised and the limit holds. At the limit, when the operator allows it,
 * the longest-unseen stale device makes room (in the same transaction).
 */
export async function registerDevice(
  ctx: DomainContext,
  owner: DeviceOwner & { deviceLimit: number; tierName: string },
  device: NewDevice,
  source: AuditSource = {},
): Promise<RegisterOutcome> {
  const name = normaliseDeviceName(device.name);
  const now = ctx.clock.now();
  const outcome = await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, owner.accountId);
    const devices = await selectDevices(trx, owner);
    if (devices.some((d) => d.device_identifier === device.identifier)) return 'already_registered' as const;
    if (devices.length >= owner.deviceLimit) {
      const replaced = replaceableDevice(ctx, devices, owner.deviceLimit);
      if (replaced === null) return { devices: devices.map(wireDevice) };
      const naming = { identifier: device.identifier, name, platform: device.platform };
      await replaceDevice(trx, ctx.clock, owner.accountId, replaced, naming, source.ip ?? null);
    }
    await trx
      .insertInto('devices')
      .values({
        account_id: owner.accountId,
        device_identifier: device.identifier,
        device_name: name,
        platform: device.platform,
        created_at: now,
        last_seen_at: now,
      })
      .execute();
    await notifySecurityChange(trx, ctx.clock, owner.accountId, 'device_registered', `${name} (${device.platform})`.slice(0, 200));
    return 'registered' as const;
  });
  if (typeof outcome === 'object') {
    await recordAudit(ctx.store.db, ctx.clock, {
      accountId: owner.accountId,
      action: 'device.limit_reached',
      detail: { device_identifier: device.identifier, limit: owner.deviceLimit },
      ip: source.ip ?? null,
    });
    throw new DeviceLimitReachedError(
      messages.deviceLimit(owner.deviceLimit, owner.tierName, ctx.siteUrl),
      outcome.devices,
      owner.deviceLimit,
    );
  }
  if (outcome === 'registered') {
    await recordAudit(ctx.store.db, ctx.clock, {
      accountId: owner.accountId,
      action: 'device.registered',
      detail: { device_identifier: device.identifier, device_name: name, platform: device.platform },
      ip: source.ip ?? null,
    });
  }
  return outcome;
}

/** Selects a device by its identifier or, from the website, by its numeric id. */
export type DeviceSelector = { identifier: string } | { id: number };

function whereDevice(selector: DeviceSelector) {
  return 'id' in selector ? (['id', '=', selector.id] as const) : (['device_identifier', '=', selector.identifier] as const);
}

export async function renameDevice(
  ctx: DomainContext,
  owner: DeviceOwner,
  selector: DeviceSelector,
  newName: string,
  source: AuditSource = {},
): Promise<StoredDevice> {
  const name = normaliseDeviceName(newName);
  const [column, op, value] = whereDevice(selector);
  const row = await ctx.store.db
    .updateTable('devices')
    .set({ device_name: name })
    .where('account_id', '=', owner.accountId)
    .where(column, op, value)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw notFound(messages.deviceNotFound());
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId: owner.accountId,
    action: 'device.renamed',
    detail: { device_identifier: row.device_identifier, device_name: name, via: source.via ?? 'api' },
    ip: source.ip ?? null,
  });
  return toDevice(row, owner.username);
}

/** Removes a device; it loses access on its next request that names it. */
export async function removeDevice(
  ctx: DomainContext,
  owner: DeviceOwner,
  selector: DeviceSelector,
  source: AuditSource = {},
): Promise<StoredDevice> {
  const [column, op, value] = whereDevice(selector);
  const row = await ctx.store.db
    .deleteFrom('devices')
    .where('account_id', '=', owner.accountId)
    .where(column, op, value)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw notFound(messages.deviceNotFound());
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId: owner.accountId,
    action: 'device.removed',
    detail: { device_identifier: row.device_identifier, device_name: row.device_name, via: source.via ?? 'api' },
    ip: source.ip ?? null,
  });
  return toDevice(row, owner.username);
}
