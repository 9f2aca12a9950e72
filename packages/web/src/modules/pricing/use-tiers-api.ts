import { AvailableTiers, WEB_API_PATHS, type WebTier } from '@rotki-premium/protocol/web-api';
import { call } from '../core/use-web-api.ts';

export function useTiersApi() {
  return {
    async fetchTiers(): Promise<WebTier[]> {
      return (await call('GET', WEB_API_PATHS.availableTiers, AvailableTiers)).tiers;
    },
  };
}
