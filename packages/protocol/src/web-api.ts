import { z } from 'zod';

/**
 * The website's JSON API under `/webapi` (session cookie + CSRF header), shared
 * by the server (to validate and answer) and the website (to parse at the
 * boundary). Browser-safe: imports nothing but zod.
 */

/** Pages of the website; the server answers its index.html for each. */
export const SITE_PATHS = {
  home: '/',
  signup: '/signup',
  login: '/login',
  pricing: '/pricing',
  account: '/home',
  subscription: '/home/subscription',
  devices: '/home/devices',
  accountSettings: '/home/account',
  verifyEmail: '/verify-email',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  confirmEmail: '/confirm-email',
} as const;

export const CSRF_HEADER = 'x-csrf-token';

export const WEB_API_PATHS = {
  csrf: '/webapi/csrf/',
  signup: '/webapi/signup/',
  login: '/webapi/login/',
  logout: '/webapi/logout/',
  account: '/webapi/account/',
  credentials: '/webapi/credentials/',
  regenerateKeys: '/webapi/regenerate-keys/',
  cancelSubscription: '/webapi/subscription/cancel/',
  devices: '/webapi/2/devices/',
  availableTiers: '/webapi/2/available-tiers',
} as const;

export function deviceUrl(id: number): string {
  return `${WEB_API_PATHS.devices}${id}`;
}

/** `{ error: { code, message } }` on every web API failure. */
export const WebErrorCode = {
  InvalidInput: 'invalid_input',
  NotLoggedIn: 'not_logged_in',
  WrongCredentials: 'wrong_credentials',
  CsrfFailed: 'csrf_failed',
  RateLimited: 'rate_limited',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Forbidden: 'forbidden',
  BadRequest: 'bad_request',
  Internal: 'internal',
} as const;
export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

export const WebError = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
export type WebError = z.infer<typeof WebError>;

export const webMessages = {
  notLoggedIn: () => 'You are not logged in, or your session has ended. Log in to continue.',
  wrongCredentials: () => 'Wrong username or password.',
  csrfFailed: () => 'The security token of this page is missing or out of date. Reload the page and try again.',
  tooManyAttempts: (seconds: number) => `Too many attempts. Try again in ${seconds} seconds.`,
  passwordsDiffer: () => 'The two passwords differ.',
  deviceName: () => 'Device name must be 1 to 100 characters.',
} as const;

// Requests

export const SignupRequest = z
  .object({
    username: z.string().max(100),
    email: z.string().max(254),
    password: z.string().max(200),
    confirmPassword: z.string().max(200),
  })
  .refine((value) => value.password === value.confirmPassword, { message: webMessages.passwordsDiffer(), path: ['confirmPassword'] });
export type SignupRequest = z.infer<typeof SignupRequest>;

export const LoginRequest = z.object({
  /** Username or email. */
  username: z.string().trim().min(1, 'Enter your username or email').max(254),
  password: z.string().min(1, 'Enter your password').max(200),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** 1–100 characters after trimming, counted as characters, not UTF-16 units. */
export const DeviceLabel = z
  .string()
  .trim()
  .refine((value) => value.length > 0 && [...value].length <= 100, { message: webMessages.deviceName() });

export const RenameDeviceBody = z.object({ label: DeviceLabel });
export type RenameDeviceBody = z.infer<typeof RenameDeviceBody>;

export const DeviceIdParam = z.object({ id: z.coerce.number().int().positive() });

// Responses

export const CsrfResponse = z.object({ csrfToken: z.string() });
export type CsrfResponse = z.infer<typeof CsrfResponse>;

export const WebTier = z.object({
  name: z.string(),
  deviceLimit: z.number().int(),
  /** MiB. */
  maxBackupSizeMb: z.number().int(),
  historyEventsLimit: z.number().int(),
  pnlEventsLimit: z.number().int(),
  reportsLookupLimit: z.number().int(),
  ethStakedLimit: z.number().int(),
  capabilities: z.array(z.string()),
});
export type WebTier = z.infer<typeof WebTier>;

/** A tier as sold: its prices in `currency` minor units; null when not sold for that period. */
export const WebPlan = WebTier.extend({ prices: z.object({ monthly: z.number().int().nullable(), yearly: z.number().int().nullable() }) });
export type WebPlan = z.infer<typeof WebPlan>;

export const AvailableTiers = z.object({ currency: z.string(), tiers: z.array(WebPlan) });
export type AvailableTiers = z.infer<typeof AvailableTiers>;

export const WebSubscription = z.object({
  tier: WebTier,
  status: z.enum(['active', 'cancelled', 'expired']),
  /** Active, or cancelled with the period not yet over. */
  isActive: z.boolean(),
  /** manual, stripe (renews itself), evm (renewed by hand), or null (granted by the operator). */
  provider: z.string().nullable(),
  billingPeriod: z.enum(['monthly', 'yearly']).nullable(),
  cancelReason: z.string().nullable(),
  /** A renewal failed at this time (ISO 8601): the subscription runs on its grace period until `periodEnd`. */
  paymentFailedAt: z.string().nullable(),
  /** ISO 8601. */
  periodStart: z.string(),
  periodEnd: z.string(),
});
export type WebSubscription = z.infer<typeof WebSubscription>;

export const AccountResponse = z.object({
  account: z.object({ username: z.string(), email: z.string(), createdAt: z.string() }),
  subscription: WebSubscription.nullable(),
  /** Whether Create was clicked, and when; the pair itself comes from `/webapi/credentials/`. */
  credentials: z.object({ createdAt: z.string() }).nullable(),
  devices: z.object({ count: z.number().int(), limit: z.number().int() }),
  csrfToken: z.string(),
});
export type AccountResponse = z.infer<typeof AccountResponse>;

export const WebCredentials = z.object({ apiKey: z.string(), apiSecret: z.string(), createdAt: z.string() });
export type WebCredentials = z.infer<typeof WebCredentials>;

/** The rotki.com website's device shape (PROTOCOL.md §6.5); dates are ISO 8601. */
export const WebDevice = z.object({
  id: z.number().int(),
  label: z.string(),
  uniqueId: z.string(),
  platform: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  user: z.string(),
});
export type WebDevice = z.infer<typeof WebDevice>;

export const WebDeviceList = z.object({ devices: z.array(WebDevice), limit: z.number().int() });
export type WebDeviceList = z.infer<typeof WebDeviceList>;

export const WebSuccess = z.object({ success: z.literal(true) });
