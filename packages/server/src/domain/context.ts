import type { Store } from '../store/database.ts';
import type { BillingSettings } from './billing/settings.ts';
import type { Clock } from './clock.ts';
import type { DevicePolicy } from './device-policy.ts';
import type { KeyRing } from './keyring.ts';

/** What domain functions depend on, passed in so tests control time and storage. */
export interface DomainContext {
  store: Store;
  clock: Clock;
  keyRing: KeyRing;
  /** Public address of the website, for messages that point the user there. */
  siteUrl: string;
  /** Currency, seller, VAT and payment methods, from the billing configuration. */
  billing: BillingSettings;
  /** scrypt cost (log2 N) of new password hashes; existing hashes verify with the parameters stored in them. */
  passwordHashCost: number;
  /** Stale-device days and replacement; absent: `DEFAULT_DEVICE_POLICY`. */
  devices?: DevicePolicy;
}
