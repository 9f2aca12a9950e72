import {
  AccountResponse,
  LoginRequest,
  SignupRequest,
  WEB_API_PATHS,
  WebSuccess,
  type AccountResponse as Account,
} from '@rotki-premium/protocol/web-api';
import { computed, ref } from 'vue';
import { call, setCsrfToken, WebApiRequestError } from '../core/use-web-api.ts';

const account = ref<Account | null>(null);
const loaded = ref(false);

function remember(value: Account | null): Account | null {
  account.value = value;
  loaded.value = true;
  setCsrfToken(value?.csrfToken ?? null);
  return value;
}

/** Reads the logged-in account; null when there is no session. */
async function refresh(): Promise<Account | null> {
  try {
    return remember(await call('GET', WEB_API_PATHS.account, AccountResponse));
  } catch (error) {
    if (error instanceof WebApiRequestError && error.status === 401) return remember(null);
    throw error;
  }
}

async function logIn(input: LoginRequest): Promise<Account> {
  const value = await call('POST', WEB_API_PATHS.login, AccountResponse, LoginRequest.parse(input));
  remember(value);
  return value;
}

async function signUp(input: SignupRequest): Promise<Account> {
  const value = await call('POST', WEB_API_PATHS.signup, AccountResponse, SignupRequest.parse(input));
  remember(value);
  return value;
}

async function logOut(): Promise<void> {
  try {
    await call('POST', WEB_API_PATHS.logout, WebSuccess);
  } finally {
    remember(null);
  }
}

/** Forgets the account locally (the server said the session is gone). */
function forget(): void {
  remember(null);
}

/** The logged-in subscriber, shared by every page. */
export function useSessionStore() {
  return {
    account: computed(() => account.value),
    loaded: computed(() => loaded.value),
    isLoggedIn: computed(() => account.value !== null),
    refresh,
    logIn,
    signUp,
    logOut,
    forget,
  };
}
