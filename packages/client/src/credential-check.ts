import { API_KEY_PREFIX, API_SECRET_MARKER, decodeApiSecret, isWellFormedApiKey, isWellFormedApiSecret } from '@rotki-premium/protocol';

/**
 * What is wrong with a key and secret, found offline before any request:
 * both of this service's values carry a checksum, so a value cut short or
 * mistyped is caught here instead of coming back from the server as
 * "signature mismatch".
 *
 * - `swapped`: the key is in the secret's place and the other way round;
 * - `key_damaged`: the key is not a whole key of this service;
 * - `secret_damaged`: the secret is not base64 (the app could not even use
 *   it), or it is one of this service's secrets with characters missing or
 *   changed;
 * - `both_damaged`.
 *
 * A secret that is valid base64 but not of this service's form is accepted,
 * as the rotki app accepts it.
 */
export type CredentialProblem = 'swapped' | 'key_damaged' | 'secret_damaged' | 'both_damaged';

function secretLooksDamaged(apiSecret: string): boolean {
  if (decodeApiSecret(apiSecret) === null) return true;
  return apiSecret.startsWith(API_SECRET_MARKER) && !isWellFormedApiSecret(apiSecret);
}

function keyLooksDamaged(apiKey: string): boolean {
  if (apiKey === '' || /\s/.test(apiKey)) return true;
  return apiKey.startsWith(API_KEY_PREFIX) ? !isWellFormedApiKey(apiKey) : false;
}

export function credentialProblem(apiKey: string, apiSecret: string): CredentialProblem | null {
  const key = apiKey.trim();
  const secret = apiSecret.trim();
  if (key.startsWith(API_SECRET_MARKER) && secret.startsWith(API_KEY_PREFIX)) return 'swapped';
  const keyDamaged = keyLooksDamaged(key);
  const secretDamaged = secretLooksDamaged(secret);
  if (keyDamaged && secretDamaged) return 'both_damaged';
  if (keyDamaged) return 'key_damaged';
  if (secretDamaged) return 'secret_damaged';
  return null;
}
