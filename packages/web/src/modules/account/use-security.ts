import { SecurityResponse, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { ref } from 'vue';
import { call, errorMessage } from '../core/use-web-api.ts';

const security = ref<SecurityResponse | null>(null);
const loadError = ref('');

/** The Account page's security section: second factors, passkeys, sessions (one read, shared by its cards). */
export function useSecurity() {
  async function reload(): Promise<void> {
    try {
      security.value = await call('GET', WEB_API_PATHS.security, SecurityResponse);
      loadError.value = '';
    } catch (failure) {
      loadError.value = errorMessage(failure);
    }
  }
  return { security, loadError, reload };
}
