import type { Generated, Selectable } from 'kysely';

export type AccountTokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** A single-use link sent by mail; only its SHA-256 is stored. */
export interface AccountTokenTable {
  id: Generated<number>;
  account_id: number;
  purpose: AccountTokenPurpose;
  token_hash: string;
  /** The address being confirmed, for 'change_email'. */
  new_email: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
export type AccountTokenRow = Selectable<AccountTokenTable>;

/** One of the ten single-use recovery codes of an account with two-factor sign-in; only a hash is stored. */
export interface RecoveryCodeTable {
  id: Generated<number>;
  account_id: number;
  code_hash: string;
  used_at: number | null;
}

/** A WebAuthn credential (passkey) of an account. */
export interface PasskeyTable {
  id: Generated<number>;
  account_id: number;
  /** base64url. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** JSON array of transport names. */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}
export type PasskeyRow = Selectable<PasskeyTable>;

export type AuthChallengeKind = 'second_factor' | 'passkey_login' | 'passkey_register';

/** A sign-in waiting for its second factor, or a WebAuthn challenge waiting for its answer. */
export interface AuthChallengeTable {
  id: Generated<number>;
  /** SHA-256 of the token in the browser's cookie. */
  token_hash: string;
  kind: AuthChallengeKind;
  account_id: number | null;
  /** The WebAuthn challenge (base64url), when one was issued. */
  challenge: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
}
export type AuthChallengeRow = Selectable<AuthChallengeTable>;
