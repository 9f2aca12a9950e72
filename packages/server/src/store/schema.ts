import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { BackupTable, BackupUploadTable, BackupVersionTable } from './backups.table.ts';
import type { JobLeaseTable, MailQueueTable } from './mail.table.ts';
import type {
  InvoiceSequenceTable,
  InvoiceTable,
  OrderTable,
  PaymentCustomerTable,
  PaymentTable,
  RefundTable,
  ProviderEventTable,
  TierPriceTable,
} from './billing.table.ts';
import type { ChainCursorTable, CryptoQuoteTable, CryptoSightingTable, CryptoTailTable } from './crypto.table.ts';
import type { AccountTokenTable, AuthChallengeTable, PasskeyTable, RecoveryCodeTable } from './account-security.table.ts';
import type { ActivityCountTable, InstanceHeartbeatTable, OperatorSessionTable, OperatorTable } from './operators.table.ts';

/** All timestamps are integer milliseconds since the epoch. */

export interface AccountTable {
  id: Generated<number>;
  username: string;
  /** Case-folded. */
  email: string;
  password_hash: string;
  created_at: number;
  /** Set while an operator has suspended the account. */
  suspended_at: number | null;
  suspension_reason: string | null;
  /** When the address was proved by a link from a mail; null until then (checkout waits for it). */
  email_verified_at: number | null;
  /** AES-256-GCM under the master key; set while enrolling, in use once `totp_enabled_at` is set. */
  totp_secret_ciphertext: string | null;
  totp_enabled_at: number | null;
  /** The last accepted TOTP time step: a code is accepted once. */
  totp_last_step: number | null;
  /** Profile and billing details, for invoices. */
  full_name: string | null;
  company: string | null;
  vat_id: string | null;
  /** JSON array of address lines. */
  address: string | null;
  /** ISO alpha-2. */
  country: string | null;
  /** Set when the subscriber deleted the account: the row stays, pseudonymised, for the payment records. */
  deleted_at: number | null;
}
export type AccountRow = Selectable<AccountTable>;

export interface SessionTable {
  id: Generated<number>;
  account_id: number;
  /** SHA-256 of the session token; the token itself is only in the cookie. */
  token_hash: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  /** What the Account page shows of the session. */
  user_agent: string | null;
  ip: string | null;
  last_seen_at: number | null;
}

export interface TierTable {
  id: Generated<number>;
  name: string;
  display_order: number;
  device_limit: number;
  /** MiB (1,048,576 bytes). */
  max_backup_size_mb: number;
  pnl_events_limit: number;
  history_events_limit: number;
  reports_lookup_limit: number;
  eth_staked_limit: number;
  /** How many versions of a backup are kept, the current one included (0 and 1: only the current one). */
  backup_versions: Generated<number>;
  /** JSON array of capability flag names. */
  capabilities: string;
}
export type TierRow = Selectable<TierTable>;
export type InsertableTierRow = Insertable<TierTable>;

/** One row (`id` 1): raised by triggers with every change to `tiers` (migration 020). */
export interface TiersVersionTable {
  id: number;
  version: number;
}

export type SubscriptionStatus = 'active' | 'cancelled' | 'expired';

export interface SubscriptionTable {
  id: Generated<number>;
  account_id: number;
  tier_id: number;
  status: SubscriptionStatus;
  period_start: number;
  period_end: number;
  payment_reference: string | null;
  created_at: number;
  updated_at: number;
  /** How it is paid: 'manual' (operator), 'stripe' (renews itself), 'evm' (renewed by hand); null before billing existed. */
  provider: string | null;
  billing_period: 'monthly' | 'yearly' | null;
  /** The provider's subscription id (Stripe). */
  external_id: string | null;
  cancel_reason: string | null;
  /** A renewal failed at this time: the period end is extended by the grace period. */
  payment_failed_at: number | null;
  /** `created` of the last provider event applied, so an older one arriving late changes nothing. */
  provider_state_at: number | null;
  /** The period end the renewal reminder was sent for. */
  reminded_for: number | null;
  /** The period end the "expired" mail was sent for. */
  expiry_noticed_for: number | null;
}
export type SubscriptionRow = Selectable<SubscriptionTable>;
export type UpdateableSubscriptionRow = Updateable<SubscriptionTable>;

export interface ApiCredentialTable {
  account_id: number;
  api_key: string;
  /** AES-256-GCM under the master key: base64(iv || tag || ciphertext). */
  secret_ciphertext: string;
  created_at: number;
}
export type ApiCredentialRow = Selectable<ApiCredentialTable>;

export interface DeviceTable {
  id: Generated<number>;
  account_id: number;
  device_identifier: string;
  device_name: string;
  platform: string;
  created_at: number;
  last_seen_at: number;
}
export type DeviceRow = Selectable<DeviceTable>;

/** A stale device replaced at the device limit (migration 019). */
export interface DeviceReplacementTable {
  id: Generated<number>;
  account_id: number;
  replaced_device_name: string;
  replaced_platform: string;
  replaced_last_seen_at: number;
  device_name: string;
  platform: string;
  replaced_at: number;
}
export type DeviceReplacementRow = Selectable<DeviceReplacementTable>;

export interface AuditEventTable {
  id: Generated<number>;
  account_id: number | null;
  action: string;
  /** JSON object; never holds a secret. */
  detail: string;
  ip: string | null;
  created_at: number;
  /** The operator who acted, by name; null for the subscriber's own actions and the system's. */
  operator: string | null;
}
export type AuditEventRow = Selectable<AuditEventTable>;

/** Accepted (API key, nonce, signature) triples inside the nonce window. */
export interface ReplayNonceTable {
  api_key: string;
  nonce: string;
  signature: string;
  expires_at: number;
}

/** Failures counted across instances in a fixed window (issue 8). */
export interface RateLimitCounterTable {
  subject: string;
  count: number;
  window_ends_at: number;
}

/** The master key the secrets are encrypted under (`current`) and those a rotation retired, by fingerprint. */
export interface MasterKeyTable {
  fingerprint: string;
  state: 'current' | 'retired';
  created_at: number;
  retired_at: number | null;
}

export interface Database {
  accounts: AccountTable;
  sessions: SessionTable;
  tiers: TierTable;
  tiers_version: TiersVersionTable;
  subscriptions: SubscriptionTable;
  api_credentials: ApiCredentialTable;
  devices: DeviceTable;
  device_replacements: DeviceReplacementTable;
  audit_events: AuditEventTable;
  replay_nonces: ReplayNonceTable;
  backups: BackupTable;
  backup_uploads: BackupUploadTable;
  backup_versions: BackupVersionTable;
  mail_queue: MailQueueTable;
  job_leases: JobLeaseTable;
  tier_prices: TierPriceTable;
  orders: OrderTable;
  payments: PaymentTable;
  refunds: RefundTable;
  invoice_sequences: InvoiceSequenceTable;
  invoices: InvoiceTable;
  provider_events: ProviderEventTable;
  operators: OperatorTable;
  operator_sessions: OperatorSessionTable;
  instance_heartbeats: InstanceHeartbeatTable;
  activity_counts: ActivityCountTable;
  payment_customers: PaymentCustomerTable;
  crypto_quotes: CryptoQuoteTable;
  crypto_tails: CryptoTailTable;
  chain_cursors: ChainCursorTable;
  crypto_sightings: CryptoSightingTable;
  account_tokens: AccountTokenTable;
  recovery_codes: RecoveryCodeTable;
  passkeys: PasskeyTable;
  auth_challenges: AuthChallengeTable;
  rate_limit_counters: RateLimitCounterTable;
  master_keys: MasterKeyTable;
}
