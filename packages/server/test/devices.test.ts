import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/domain/audit.ts';
import {
  DeviceLimitReachedError,
  isDeviceRegistered,
  LAST_SEEN_WRITE_INTERVAL_MS,
  listDevices,
  normaliseDeviceName,
  registerDevice,
  removeDevice,
  renameDevice,
  touchDevice,
  type DeviceOwner,
} from '../src/domain/devices.ts';
import { createTestContext, newAccount, SCRYPT_TIMEOUT_MS, START_MS, type TestContext } from './support/test-context.ts';

const SITE = 'https://premium.example.test';

describe('normaliseDeviceName', () => {
  it('trims and accepts 1 to 100 characters, counting characters rather than UTF-16 units', () => {
    expect(normaliseDeviceName('  laptop  ')).toBe('laptop');
    expect(normaliseDeviceName('x'.repeat(100))).toBe('x'.repeat(100));
    expect(normaliseDeviceName('💻'.repeat(100))).toBe('💻'.repeat(100));
  });

  it.each(['', '   ', '\t\n', 'x'.repeat(101)])('refuses %j with the registry message', (name) => {
    expect(() => normaliseDeviceName(name)).toThrow('device_name must be between 1 and 100 characters');
  });
});

describe('devices', { timeout: SCRYPT_TIMEOUT_MS }, () => {
  let t: TestContext;
  let owner: DeviceOwner & { deviceLimit: number; tierName: string };

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t.cleanup();
  });
  beforeEach(async () => {
    t.clock.set(START_MS);
    const account = await newAccount(t.ctx);
    owner = { accountId: account.id, username: account.username, deviceLimit: 2, tierName: 'Basic' };
  }, SCRYPT_TIMEOUT_MS);

  it('registers up to the limit, says so for a known device, and refuses the next with the list and limit', async () => {
    expect(await registerDevice(t.ctx, owner, { identifier: 'aa', name: ' laptop ', platform: 'Linux' })).toBe('registered');
    t.clock.advance(1_000);
    expect(await registerDevice(t.ctx, owner, { identifier: 'bb', name: 'desk', platform: 'Windows' })).toBe('registered');
    expect(await registerDevice(t.ctx, owner, { identifier: 'aa', name: 'other', platform: 'Linux' })).toBe(
      'already_registered',
    );

    const refusal = await registerDevice(t.ctx, owner, { identifier: 'cc', name: 'third', platform: 'Darwin' }).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(DeviceLimitReachedError);
    const limitError = refusal as DeviceLimitReachedError;
    expect(limitError.message).toBe(
      `Device limit of 2 reached for your Basic plan. Remove a device at ${SITE}/home/devices or upgrade your plan.`,
    );
    expect(limitError.limit).toBe(2);
    expect(limitError.devices).toEqual([
      {
        device_identifier: 'aa',
        device_name: 'laptop',
        platform: 'Linux',
        user: owner.username,
        last_seen_at: START_MS / 1000,
        created_at: START_MS / 1000,
      },
      {
        device_identifier: 'bb',
        device_name: 'desk',
        platform: 'Windows',
        user: owner.username,
        last_seen_at: START_MS / 1000 + 1,
        created_at: START_MS / 1000 + 1,
      },
    ]);
    expect(await isDeviceRegistered(t.ctx, owner.accountId, 'cc')).toBe(false);

    const actions = (await listAuditEvents(t.ctx.store.db, owner.accountId)).map((e) => e.action);
    expect(actions.filter((a) => a === 'device.registered')).toHaveLength(2);
    expect(actions).toContain('device.limit_reached');
  });

  it('refreshes last_seen_at on use, writing at most once a minute', async () => {
    await registerDevice(t.ctx, owner, { identifier: 'aa', name: 'laptop', platform: 'Linux' });
    const lastSeen = async () => (await listDevices(t.ctx, owner))[0]?.last_seen_at;

    t.clock.advance(LAST_SEEN_WRITE_INTERVAL_MS - 1);
    expect(await touchDevice(t.ctx, owner.accountId, 'aa')).toBe(true);
    expect(await lastSeen()).toBe(START_MS / 1000);

    t.clock.advance(1);
    expect(await touchDevice(t.ctx, owner.accountId, 'aa')).toBe(true);
    expect(await lastSeen()).toBe((START_MS + LAST_SEEN_WRITE_INTERVAL_MS) / 1000);

    t.clock.advance(30_000);
    await touchDevice(t.ctx, owner.accountId, 'aa');
    expect(await lastSeen()).toBe((START_MS + LAST_SEEN_WRITE_INTERVAL_MS) / 1000);

    expect(await touchDevice(t.ctx, owner.accountId, 'unknown')).toBe(false);
  });

  it('renames and removes by identifier; a removed device is no longer seen', async () => {
    await registerDevice(t.ctx, owner, { identifier: 'aa', name: 'laptop', platform: 'Linux' });
    const renamed = await renameDevice(t.ctx, owner, { identifier: 'aa' }, '  work laptop ');
    expect(renamed.device_name).toBe('work laptop');
    await expect(renameDevice(t.ctx, owner, { identifier: 'aa' }, ' ')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(renameDevice(t.ctx, owner, { identifier: 'zz' }, 'x')).rejects.toMatchObject({
      kind: 'not_found',
      message: 'Device not found',
    });

    await removeDevice(t.ctx, owner, { identifier: 'aa' });
    expect(await touchDevice(t.ctx, owner.accountId, 'aa')).toBe(false);
    expect(await listDevices(t.ctx, owner)).toEqual([]);
    await expect(removeDevice(t.ctx, owner, { identifier: 'aa' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('keeps each account’s devices apart', async () => {
    const other = await newAccount(t.ctx);
    const otherOwner = { accountId: other.id, username: other.username, deviceLimit: 1, tierName: 'Supporter' };
    await registerDevice(t.ctx, owner, { identifier: 'aa', name: 'mine', platform: 'Linux' });
    expect(await registerDevice(t.ctx, otherOwner, { identifier: 'aa', name: 'theirs', platform: 'Linux' })).toBe(
      'registered',
    );
    await expect(renameDevice(t.ctx, otherOwner, { id: (await listDevices(t.ctx, owner))[0]?.id ?? 0 }, 'x')).rejects.toMatchObject(
      { kind: 'not_found' },
    );
    expect((await listDevices(t.ctx, owner)).map((d) => d.device_name)).toEqual(['mine']);
  });
});
