import { ADMIN_API_PATHS, SessionView, type OperatorView } from '@rotki-premium/protocol/admin-api';
import { computed, ref } from 'vue';
import { call, setCsrfToken } from '../core/use-console-api.ts';
import { z } from 'zod';

const operator = ref<OperatorView | null>(null);
let checked = false;

/** The signed-in operator, shared by every page. */
export function useOperator() {
  async function refresh(): Promise<OperatorView | null> {
    try {
      const view = await call('GET', ADMIN_API_PATHS.session, SessionView);
      operator.value = view.operator;
    } catch {
      operator.value = null;
    }
    checked = true;
    return operator.value;
  }
  return {
    operator,
    isAdmin: computed(() => operator.value?.role === 'admin'),
    async current(): Promise<OperatorView | null> {
      return checked ? operator.value : refresh();
    },
    signedIn(view: SessionView): void {
      operator.value = view.operator;
      checked = true;
    },
    async signOut(): Promise<void> {
      try {
        await call('DELETE', ADMIN_API_PATHS.session, z.object({ success: z.literal(true) }));
      } finally {
        operator.value = null;
        setCsrfToken(null);
      }
    },
    forget(): void {
      operator.value = null;
      checked = true;
    },
  };
}
