import {
  AccountResponse,
  CodeRequest,
  LoginRequest,
  LoginResponse,
  MailSentResponse,
  PasskeyLoginRequest,
  WebAuthnOptions,
  SignupRequest,
  WEB_API_PATHS,
  WebSuccess,
  type AccountResponse as Account,
} from '@rotki-premium/protocol/web-api';
import { computed, ref } from 'vue';
import { call, setCsrfToken, WebApiRequestError } from '../core/use-web-api.ts';

const account = ref<Account | null>(null);
const loaded = ref(false);
/** The last session check could not reach the server (network down, server down or failing). */
const unreachable = ref(false);

function remember(value: Account | null): Account | null {
  account.value = value;
  loaded.value = true;
  setCsrfToken(value?.csrfToken ?? null);
  return value;
}

/** Reads the logged-in account; null when there is no session. */
async function refresh(): Promise<Account | null> {
  try {
    const value = remember(await call('GET', WEB_API_PATHS.account, AccountResponse));
    unreachable.value = false;
    return value;
  } catch (error) {
    if (error instanceof WebApiRequestError && error.status === 401) {
      unreachable.value = false;
      return remember(null);
    }
    unreachable.value = !(error instanceof WebApiRequestError) || error.status >= 500;
    throw error;
  }
}

/** The password step: logged in, or the second factors the account asks for next. */
async function logIn(input: LoginRequest): Promise<LoginResponse> {
  const value = await call('POST', WEB_API_PATHS.login, LoginResponse, LoginRequest.parse(input));
  if ('account' in value) remember(value);
  return value;
}

/** The second step with a code of the authenticator app or a recovery code. */
async function logInWithCode(code: string): Promise<Account> {
  return remember(await call('POST', WEB_API_PATHS.secondFactor, AccountResponse, CodeRequest.parse({ code }))) as Account;
}

/** A passkey: the second step after the password, or a sign-in on its own. */
async function logInWithPasskey(): Promise<Account> {
  const { startAuthentication } = await import('@simplewebauthn/browser');
  const options = await call('POST', WEB_API_PATHS.passkeyLoginOptions, WebAuthnOptions);
  const assertion = await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'] });
  const body = PasskeyLoginRequest.parse({ assertion });
  return remember(await call('POST', WEB_API_PATHS.passkeyLogin, AccountResponse, body)) as Account;
}

/** Creates the account (or tells the owner of the address); the answer is the same either way: check your inbox. */
async function signUp(input: SignupRequest): Promise<MailSentResponse> {
  return call('POST', WEB_API_PATHS.signup, MailSentResponse, SignupRequest.parse(input));
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
    unreachable: computed(() => unreachable.value),
    isLoggedIn: computed(() => account.value !== null),
    refresh,
    logIn,
    logInWithCode,
    logInWithPasskey,
    signUp,
    logOut,
    forget,
  };
}
