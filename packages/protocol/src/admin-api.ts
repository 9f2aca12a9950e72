import { z } from 'zod';
import { multilineText, textLine } from './text.ts';

/**
 * The operator console's JSON API under `/admin/api` (its own session cookie
 * and CSRF header), shared by the server and the console. Browser-safe:
 * imports nothing but zod. Errors use the web API's `{ error: { code, message } }`.
 */

export const ADMIN_PREFIX = '/admin';
export const ADMIN_API = '/admin/api';
export const ADMIN_CSRF_HEADER = 'x-csrf-token';

export const ADMIN_API_PATHS = {
  csrf: `${ADMIN_API}/csrf`,
  session: `${ADMIN_API}/session`,
  sessionTotp: `${ADMIN_API}/session/totp`,
  dashboard: `${ADMIN_API}/dashboard`,
  customers: `${ADMIN_API}/customers`,
  tiers: `${ADMIN_API}/tiers`,
  audit: `${ADMIN_API}/audit`,
  auditCsv: `${ADMIN_API}/audit.csv`,
  system: `${ADMIN_API}/system`,
  events: `${ADMIN_API}/events`,
  mail: `${ADMIN_API}/mail`,
} as const;

/** Pages of the console; the server answers its index.html for each. */
export const ADMIN_PAGES = {
  dashboard: '/admin',
  signIn: '/admin/sign-in',
  customers: '/admin/customers',
  customer: '/admin/customers/:id',
  tiers: '/admin/tiers',
  audit: '/admin/audit',
  system: '/admin/system',
  events: '/admin/events',
  mail: '/admin/mail',
} as const;

export const customerPath = (id: number) => `${ADMIN_API_PATHS.customers}/${id}`;
export const tierPath = (id: number) => `${ADMIN_API_PATHS.tiers}/${id}`;

export const OPERATOR_ROLES = ['admin', 'support'] as const;
export const OperatorRole = z.enum(OPERATOR_ROLES);
export type OperatorRole = z.infer<typeof OperatorRole>;

export const AdminErrorCode = {
  NotSignedIn: 'not_signed_in',
  WrongCredentials: 'wrong_credentials',
  WrongCode: 'wrong_code',
  CsrfFailed: 'csrf_failed',
  RoleForbidden: 'role_forbidden',
  RateLimited: 'rate_limited',
  InvalidInput: 'invalid_input',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Forbidden: 'forbidden',
  Internal: 'internal',
} as const;

export const adminMessages = {
  notSignedIn: () => 'You are not signed in to the console, or your session has ended. Sign in again.',
  wrongCredentials: () => 'Wrong operator name or password.',
  wrongCode: () => 'That code is not valid. Enter the current 6-digit code from your authenticator app.',
  csrfFailed: () => 'The security token of this page is missing or out of date. Reload the page and try again.',
  roleForbidden: () => 'Your operator role does not allow this. Tiers and prices are for admins.',
  tooManyAttempts: (seconds: number) => `Too many attempts. Try again in ${seconds} seconds.`,
} as const;

// Sign-in

export const SignInRequest = z.object({
  username: textLine(z.string().trim().min(1, 'Enter your operator name').max(100)),
  password: textLine(z.string().min(1, 'Enter your password').max(200)),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

export const TotpCode = z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code');
export const TotpRequest = z.object({ code: TotpCode });
export type TotpRequest = z.infer<typeof TotpRequest>;

/** After the password: a code is due, or (first sign-in) an authenticator is to be set up; with the CSRF token of the step. */
export const SignInStep = z.discriminatedUnion('next', [
  z.object({ next: z.literal('totp'), csrfToken: z.string() }),
  z.object({ next: z.literal('enrol'), secret: z.string(), otpauthUri: z.string(), csrfToken: z.string() }),
]);
export type SignInStep = z.infer<typeof SignInStep>;

export const OperatorView = z.object({ username: z.string(), email: z.string(), role: OperatorRole });
export type OperatorView = z.infer<typeof OperatorView>;

export const SessionView = z.object({ operator: OperatorView, csrfToken: z.string() });
export type SessionView = z.infer<typeof SessionView>;

export const CsrfView = z.object({ csrfToken: z.string() });

// Dashboard

const Iso = z.string();
const Cents = z.number().int();

export const DashboardQuery = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
});
export type DashboardQuery = z.infer<typeof DashboardQuery>;

export const DashboardView = z.object({
  period: z.object({ from: Iso, to: Iso }),
  activeSubscribers: z.object({ total: z.number().int(), byTier: z.array(z.object({ tier: z.string(), count: z.number().int() })) }),
  newSignups: z.number().int(),
  churned: z.number().int(),
  /** Recurring revenue of the active subscriptions, per month, in the tiers' currency. */
  mrr: z.object({
    currency: z.string(),
    totalCents: Cents,
    byPaymentMethod: z.array(z.object({ method: z.string(), cents: Cents })),
  }),
  revenue: z.object({
    currency: z.string(),
    totalCents: Cents,
    byPaymentMethod: z.array(z.object({ method: z.string(), cents: Cents })),
  }),
  devices: z.number().int(),
  backupStorage: z.object({ backups: z.number().int(), bytes: z.number().int() }),
  failedSignatures: z.number().int(),
  failedLogins: z.number().int(),
  /** One point per day of the period (UTC). */
  series: z.array(
    z.object({
      day: z.string(),
      signups: z.number().int(),
      activeSubscribers: z.number().int(),
      failedSignatures: z.number().int(),
      failedLogins: z.number().int(),
    }),
  ),
});
export type DashboardView = z.infer<typeof DashboardView>;

// Customers

export const CustomerSearchQuery = z.object({ q: textLine(z.string().trim().min(1, 'Enter something to search for').max(200)) });

export const SubscriptionState = z.object({
  tier: z.string(),
  status: z.enum(['active', 'cancelled', 'expired']),
  isActive: z.boolean(),
  periodStart: Iso,
  periodEnd: Iso,
});
export type SubscriptionState = z.infer<typeof SubscriptionState>;

export const CustomerSummary = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  createdAt: Iso,
  suspended: z.boolean(),
  subscription: SubscriptionState.nullable(),
  /** What the search matched on. */
  matchedOn: z.enum(['username', 'email', 'api_key', 'device']),
});
export type CustomerSummary = z.infer<typeof CustomerSummary>;

export const CustomerSearchResult = z.object({ customers: z.array(CustomerSummary) });
export type CustomerSearchResult = z.infer<typeof CustomerSearchResult>;

export const AuditEntryView = z.object({
  id: z.number().int(),
  at: Iso,
  action: z.string(),
  account: z.string().nullable(),
  operator: z.string().nullable(),
  ip: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const CustomerDevice = z.object({
  id: z.number().int(),
  name: z.string(),
  identifier: z.string(),
  platform: z.string(),
  createdAt: Iso,
  lastSeenAt: Iso,
});

export const RefundView = z.object({
  id: z.number().int(),
  paymentId: z.number().int(),
  paymentReference: z.string(),
  invoiceNumber: z.string().nullable(),
  amountMinor: z.number().int(),
  currency: z.string(),
  reason: z.string(),
  /** Who recorded it. */
  operator: z.string().nullable(),
  createdAt: Iso,
});
export type RefundView = z.infer<typeof RefundView>;

export const CustomerDetail = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  createdAt: Iso,
  suspension: z.object({ since: Iso, reason: z.string() }).nullable(),
  /** Set once the account is deleted (it keeps a pseudonym for its payments and invoices). */
  deletedAt: Iso.nullable(),
  /** What signs in besides the password; never a secret. */
  secondFactors: z.object({ totp: z.boolean(), passkeys: z.number().int(), recoveryCodes: z.number().int() }),
  subscription: SubscriptionState.nullable(),
  subscriptions: z.array(SubscriptionState.extend({ id: z.number().int(), paymentReference: z.string().nullable(), createdAt: Iso })),
  /** Never the secret: the key's first characters and when the pair was made. */
  credentials: z.object({ apiKeyPrefix: z.string(), createdAt: Iso }).nullable(),
  devices: z.array(CustomerDevice),
  deviceLimit: z.number().int(),
  backup: z.object({ size: z.number().int(), uploadedAt: Iso, lastModifiedAt: Iso, sha256: z.string() }).nullable(),
  sessions: z.object({ active: z.number().int() }),
  payments: z.array(
    z.object({
      id: z.number().int(),
      provider: z.string(),
      method: z.string(),
      reference: z.string(),
      amountMinor: z.number().int(),
      /** Paid back so far. */
      refundedMinor: z.number().int(),
      currency: z.string(),
      status: z.string(),
      invoiceNumber: z.string().nullable(),
      createdAt: Iso,
    }),
  ),
  refunds: z.array(RefundView),
  audit: z.array(AuditEntryView),
});
export type CustomerDetail = z.infer<typeof CustomerDetail>;

export const GrantRequest = z.object({
  tier: textLine(z.string().trim().min(1, 'Choose a tier').max(100)),
  months: z.coerce.number().int().min(1, 'At least 1 month').max(120, 'At most 120 months'),
  paymentReference: textLine(z.string().trim().max(200)).optional(),
});
export type GrantRequest = z.infer<typeof GrantRequest>;

/** A payment that reached the operator outside the service (a bank transfer): pays the quoted order, or a new one for the plan named. */
export const RecordPaymentRequest = z.object({
  amountMinor: z.coerce.number().int().min(1, 'The amount must be above 0'),
  reference: textLine(z.string().trim().min(1, 'Enter the payment reference').max(200)),
  tier: textLine(z.string().trim().min(1).max(100)).optional(),
  period: z.enum(['monthly', 'yearly']).optional(),
});
export type RecordPaymentRequest = z.infer<typeof RecordPaymentRequest>;

/** Money paid back on one of the customer's payments: at most what is left of it, with the reason. */
export const RefundRequest = z.object({
  paymentId: z.coerce.number().int().positive('Choose a payment'),
  amountMinor: z.coerce.number().int().min(1, 'The amount must be above 0'),
  reason: multilineText(z.string().trim().min(1, 'Say why the money is paid back').max(500)),
});
export type RefundRequest = z.infer<typeof RefundRequest>;

export const SuspendRequest = z.object({ reason: multilineText(z.string().trim().min(1, 'Say why the account is suspended').max(500)) });
export type SuspendRequest = z.infer<typeof SuspendRequest>;

export const CustomerAction = z.enum(['cancel', 'expire', 'unsuspend', 'revoke-credentials', 'end-sessions']);
export type CustomerAction = z.infer<typeof CustomerAction>;

/** What support does for a customer who is locked out or leaving (any role, each confirmed and audited). */
export const CustomerCareAction = z.enum(['send-password-reset', 'reset-two-factor', 'delete-backups', 'delete-account']);
export type CustomerCareAction = z.infer<typeof CustomerCareAction>;

export const customerActionPath = (id: number, action: CustomerAction | CustomerCareAction | 'grant' | 'suspend' | 'payment' | 'refund') => `${customerPath(id)}/${action}`;
export const customerDevicePath = (id: number, deviceId: number) => `${customerPath(id)}/devices/${deviceId}`;

// Tiers

export const AdminTier = z.object({
  id: z.number().int(),
  name: z.string(),
  order: z.number().int(),
  deviceLimit: z.number().int(),
  maxBackupSizeMb: z.number().int(),
  /** Backup versions kept per account, the current one included. */
  backupVersions: z.number().int(),
  historyEventsLimit: z.number().int(),
  pnlEventsLimit: z.number().int(),
  reportsLookupLimit: z.number().int(),
  ethStakedLimit: z.number().int(),
  capabilities: z.array(z.string()),
  /** Current prices in minor units of `currency`; null: not sold for that period. */
  monthlyPriceMinor: z.number().int().nullable(),
  yearlyPriceMinor: z.number().int().nullable(),
  currency: z.string(),
  activeSubscribers: z.number().int(),
});
export type AdminTier = z.infer<typeof AdminTier>;

export const AdminTierList = z.object({ tiers: z.array(AdminTier), capabilities: z.array(z.string()) });
export type AdminTierList = z.infer<typeof AdminTierList>;

const Limit = z.coerce.number().int().min(0).max(1_000_000_000);
export const TierChange = z.object({
  deviceLimit: z.coerce.number().int().min(1, 'At least 1 device').max(1000),
  maxBackupSizeMb: z.coerce.number().int().min(0).max(1_000_000),
  backupVersions: z.coerce.number().int().min(0).max(100, 'At most 100 versions'),
  historyEventsLimit: Limit,
  pnlEventsLimit: Limit,
  reportsLookupLimit: Limit,
  ethStakedLimit: Limit,
  capabilities: z.array(textLine(z.string().max(100))).max(100),
  monthlyPriceMinor: z.coerce.number().int().min(0).max(100_000_000),
  yearlyPriceMinor: z.coerce.number().int().min(0).max(1_000_000_000),
});
export type TierChange = z.infer<typeof TierChange>;

/** What saving a tier change would do to its subscribers, spelled out before saving. */
export const TierImpact = z.object({
  activeSubscribers: z.number().int(),
  effects: z.array(z.string()),
});
export type TierImpact = z.infer<typeof TierImpact>;

// Audit log

export const AuditQuery = z.object({
  account: textLine(z.string().trim().max(200)).optional(),
  action: textLine(z.string().trim().max(100)).optional(),
  operator: textLine(z.string().trim().max(100)).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditList = z.object({ entries: z.array(AuditEntryView) });
export type AuditList = z.infer<typeof AuditList>;

// System

export const SystemView = z.object({
  version: z.string(),
  node: z.string(),
  database: z.object({ dialect: z.string(), location: z.string() }),
  blobStore: z.object({ kind: z.string(), location: z.string() }),
  migrations: z.object({ applied: z.array(z.object({ name: z.string(), at: Iso })), pending: z.array(z.string()) }),
  instances: z.array(z.object({ id: z.string(), hostname: z.string(), pid: z.number().int(), version: z.string(), startedAt: Iso, lastSeenAt: Iso })),
  /**
   * The fingerprint recorded as the database's check value for the current
   * master key (an HMAC of a fixed label under the key, never the key), whether
   * this instance holds that key, and how many keys a rotation retired.
   */
  masterKey: z.object({ fingerprint: z.string(), heldHere: z.boolean(), retired: z.number().int() }),
  mail: z.object({ status: z.string() }),
  payments: z.object({ status: z.string() }),
  /** When a device counts as stale and whether registrations replace one (start options). */
  devices: z.object({ status: z.string() }),
});
export type SystemView = z.infer<typeof SystemView>;

// Payment providers' events (webhooks)

export const PROVIDER_EVENT_STATUSES = ['received', 'processed', 'ignored', 'failed'] as const;

export const EventsQuery = z.object({
  status: z.enum(PROVIDER_EVENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type EventsQuery = z.infer<typeof EventsQuery>;

export const ProviderEventView = z.object({
  id: z.number().int(),
  provider: z.string(),
  /** The provider's own id (Stripe's `evt_…`). */
  eventId: z.string(),
  type: z.string(),
  occurredAt: Iso,
  receivedAt: Iso,
  /** received (not processed yet), processed, ignored (nothing to do) or failed (to be replayed). */
  status: z.enum(PROVIDER_EVENT_STATUSES),
  outcome: z.string(),
  attempts: z.number().int(),
  processedAt: Iso.nullable(),
});
export type ProviderEventView = z.infer<typeof ProviderEventView>;

export const EventList = z.object({ events: z.array(ProviderEventView) });
export type EventList = z.infer<typeof EventList>;

export const eventReplayPath = (id: number) => `${ADMIN_API_PATHS.events}/${id}/replay`;

// Mail outbox

export const MAIL_STATUSES = ['pending', 'sent', 'failed'] as const;

export const MailQuery = z.object({
  status: z.enum(MAIL_STATUSES).optional(),
  to: z.string().trim().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type MailQuery = z.infer<typeof MailQuery>;

export const MailView = z.object({
  id: z.number().int(),
  to: z.string(),
  template: z.string(),
  status: z.enum(MAIL_STATUSES),
  attempts: z.number().int(),
  nextAttemptAt: Iso,
  lastError: z.string().nullable(),
  createdAt: Iso,
  sentAt: Iso.nullable(),
});
export type MailView = z.infer<typeof MailView>;

export const MailList = z.object({ mails: z.array(MailView) });
export type MailList = z.infer<typeof MailList>;

export const mailRetryPath = (id: number) => `${ADMIN_API_PATHS.mail}/${id}/retry`;

export const AdminSuccess = z.object({ success: z.literal(true) });
