import type { Generated, Selectable } from 'kysely';

export interface OperatorTable {
  id: Generated<number>;
  username: string;
  email: string;
  role: 'admin' | 'support';
  password_hash: string;
  totp_secret_ciphertext: string | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
  disabled_at: number | null;
  created_at: number;
}
export type OperatorRow = Selectable<OperatorTable>;

export interface OperatorSessionTable {
  id: Generated<number>;
  operator_id: number;
  /** SHA-256 of the cookie's token. */
  token_hash: string;
  csrf_token: string;
  stage: 'password' | 'full';
  created_at: number;
  expires_at: number;
}

export interface InstanceHeartbeatTable {
  instance_id: string;
  hostname: string;
  pid: number;
  version: string;
  started_at: number;
  last_seen_at: number;
}

export interface ActivityCountTable {
  /** Start of the UTC hour, in ms. */
  hour_start: number;
  name: string;
  count: number;
}
