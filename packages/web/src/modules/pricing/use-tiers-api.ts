import { AvailableTiers, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { call } from '../core/use-web-api.ts';

export function useTiersApi() {
  return {
    /** The plans with their prices in the operator's currency. */
    async fetchPlans(): Promise<AvailableTiers> {
      return call('GET', WEB_API_PATHS.availableTiers, AvailableTiers);
    },
  };
}
