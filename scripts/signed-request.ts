/**
 * Makes signed premium API calls with a subscriber's credentials, as an app
 * would: limits, device registration (check → register), device list.
 *
 *   API_KEY=rpk_… API_SECRET=rPSk… npx tsx scripts/signed-request.ts [http://127.0.0.1:4243]
 *
 * The secret is read from the environment, never from the command line.
 */
import { PremiumClient, PremiumClientError } from '@rotki-premium/client';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:4243';
const apiKey = process.env.API_KEY ?? '';
const apiSecret = process.env.API_SECRET ?? '';
if (apiKey === '' || apiSecret === '') {
  console.error('Set API_KEY and API_SECRET in the environment');
  process.exit(2);
}

try {
  const client = new PremiumClient({ baseUrl, apiKey, apiSecret });
  // Our client names its device on every call, so it registers first (check → register).
  const device = await client.authenticateDevice();
  console.log(`This device: ${device.identifier} (${device.newlyRegistered ? 'registered now' : 'already registered'})`);
  const limits = await client.limits();
  console.log(`Plan: ${limits.current_tier}, ${limits.limit_of_devices} devices, backups up to ${limits.max_backup_size_mb} MiB`);
  const { devices, limit } = await client.devices();
  console.log(`Devices: ${devices.length} of ${limit}`);
  for (const d of devices) console.log(`  ${d.device_name} (${d.platform}), last seen ${new Date(d.last_seen_at * 1000).toISOString()}`);
} catch (error) {
  if (error instanceof PremiumClientError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
