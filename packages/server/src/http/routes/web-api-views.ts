import type { WebDevice, WebDeviceReplacement, WebSubscription, WebTier } from '@rotki-premium/protocol/web-api';
import type { DeviceReplacement } from '../../domain/device-replacements.ts';
import type { StoredDevice } from '../../domain/devices.ts';
import type { Subscription } from '../../domain/subscriptions.ts';
import type { Tier } from '../../domain/tiers.ts';

/** Domain values in the website's camelCase JSON shapes. */

export function webTier(tier: Tier): WebTier {
  return {
    name: tier.name,
    deviceLimit: tier.deviceLimit,
    maxBackupSizeMb: tier.maxBackupSizeMb,
    historyEventsLimit: tier.historyEventsLimit,
    pnlEventsLimit: tier.pnlEventsLimit,
    reportsLookupLimit: tier.reportsLookupLimit,
    ethStakedLimit: tier.ethStakedLimit,
    capabilities: [...tier.capabilities],
  };
}

export function webSubscription(subscription: Subscription): WebSubscription {
  return {
    tier: webTier(subscription.tier),
    status: subscription.status,
    isActive: subscription.isActive,
    provider: subscription.provider,
    billingPeriod: subscription.billingPeriod,
    cancelReason: subscription.cancelReason,
    paymentFailedAt: subscription.paymentFailedAt === null ? null : subscription.paymentFailedAt.toISOString(),
    periodStart: subscription.periodStart.toISOString(),
    periodEnd: subscription.periodEnd.toISOString(),
  };
}

function isoFromSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export function webDevice(device: StoredDevice, stale: boolean): WebDevice {
  return {
    id: device.id,
    label: device.device_name,
    uniqueId: device.device_identifier,
    platform: device.platform,
    createdAt: isoFromSeconds(device.created_at),
    lastSeenAt: isoFromSeconds(device.last_seen_at),
    user: device.user,
    stale,
  };
}

export function webDeviceReplacement(replacement: DeviceReplacement): WebDeviceReplacement {
  return {
    replacedLabel: replacement.replacedName,
    replacedPlatform: replacement.replacedPlatform,
    replacedLastSeenAt: new Date(replacement.replacedLastSeenAt).toISOString(),
    label: replacement.name,
    platform: replacement.platform,
    replacedAt: new Date(replacement.replacedAt).toISOString(),
  };
}
