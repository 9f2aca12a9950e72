import { WEB_API_PATHS, WebCredentials } from '@rotki-premium/protocol/web-api';
import { call } from '../core/use-web-api.ts';

/** API credentials, as the subscription page shows and changes them. */
export function useCredentialsApi() {
  return {
    /** Shows the pair (audited on the server as a view). */
    viewCredentials: () => call('GET', WEB_API_PATHS.credentials, WebCredentials),
    createCredentials: () => call('POST', WEB_API_PATHS.credentials, WebCredentials),
    regenerateCredentials: () => call('POST', WEB_API_PATHS.regenerateKeys, WebCredentials),
  };
}
