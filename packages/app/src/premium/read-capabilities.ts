import { fetchUnlocks } from '@rotki-premium/client';
import { AppError } from '../errors.ts';
import { reshapeCapabilities, type CapabilitiesView } from './capabilities.ts';
import type { PremiumSession } from './premium-session.ts';

/** `GET /api/1/premium/capabilities`: the plan's limits, or the Free ones with the public unlock table. */
export async function readCapabilities(premium: PremiumSession, serverUrl: string, userAgent: string): Promise<CapabilitiesView> {
  if (premium.active) {
    const limits = await premium.refreshLimits();
    if (limits !== null) return reshapeCapabilities(limits, limits.unlocks);
  }
  try {
    const { unlocks } = await fetchUnlocks({ baseUrl: serverUrl, userAgent });
    return reshapeCapabilities(null, unlocks);
  } catch (error) {
    const failure = premium.explain(error);
    throw new AppError('remote_error', `Could not read the plans' capabilities from the rotki server. ${failure.message}`);
  }
}
