import { z } from 'zod';
import { EU_COUNTRY_CODES, isVatIdOf } from './vat-ids.ts';
import { displayName, textLine } from './text.ts';
import { formatWait } from './wording.ts';

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
  backups: '/home/backups',
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
  verifyEmail: '/webapi/email/verify/',
  resendVerification: '/webapi/email/verify/resend/',
  changeEmail: '/webapi/email/change/',
  confirmEmail: '/webapi/email/confirm/',
  forgotPassword: '/webapi/password/forgot/',
  resetPassword: '/webapi/password/reset/',
  changePassword: '/webapi/password/change/',
  security: '/webapi/account/security/',
  secondFactor: '/webapi/login/second-factor/',
  totpSetup: '/webapi/2fa/totp/setup/',
  totpEnable: '/webapi/2fa/totp/enable/',
  totpDisable: '/webapi/2fa/totp/disable/',
  recoveryCodes: '/webapi/2fa/recovery-codes/',
  passkeyRegisterOptions: '/webapi/passkeys/options/',
  passkeys: '/webapi/passkeys/',
  /** Options for confirming a change with one of the logged-in account's passkeys (removing one). */
  passkeyConfirmOptions: '/webapi/passkeys/confirm-options/',
  passkeyLoginOptions: '/webapi/login/passkey/options/',
  passkeyLogin: '/webapi/login/passkey/',
  sessions: '/webapi/sessions/',
  endOtherSessions: '/webapi/sessions/end-others/',
  profile: '/webapi/account/profile/',
  deleteAccount: '/webapi/account/delete/',
  exportData: '/webapi/account/export/',
  backups: '/webapi/2/backups/',
  deleteBackups: '/webapi/2/backups/delete',
} as const;

/** Restore or download one backup version (its id as the history lists it). */
export function backupVersionUrl(id: string, action: 'restore' | 'download'): string {
  return `${WEB_API_PATHS.backups}${encodeURIComponent(id)}/${action}`;
}

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
  WeakPassword: 'weak_password',
  BadToken: 'bad_token',
  SecondFactorRequired: 'second_factor_required',
  WrongCode: 'wrong_code',
  EmailNotVerified: 'email_not_verified',
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
  tooManyAttempts: (seconds: number) => `Too many attempts. Try again in ${formatWait(seconds)}.`,
  passwordsDiffer: () => 'The two passwords differ.',
  deviceName: () => 'Device name must be 1 to 100 characters.',
  checkInbox: (email: string) =>
    `Check your inbox: we sent a mail to ${email}. Open its link to confirm your address, then log in.`,
  tryAgainInMinutes: (minutes: number) => `A mail was sent a moment ago. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  resetSent: () => 'If an account has this address or username, a mail with a link to reset its password is on its way.',
  linkInvalid: () => 'This link is not valid. Ask for a new one.',
  linkExpired: () => 'This link has expired. Ask for a new one.',
  linkUsed: () => 'This link was used already. Ask for a new one if you still need it.',
  linkOfAnotherAccount: () => 'This link belongs to another account. Log out, then open it again.',
  wrongCode: () => 'That code is not right, or was used already. Try the current code.',
  wrongPassword: () => 'Your current password is not right.',
  emailNotVerified: () => 'Confirm your e-mail address before buying: open the link we mailed you, or send a new one from your account page.',
} as const;

/** The refinement of every form that sets a password twice. */
const passwordsMatch: [(value: { password: string; confirmPassword: string }) => boolean, { message: string; path: string[] }] = [
  (value) => value.password === value.confirmPassword,
  { message: webMessages.passwordsDiffer(), path: ['confirmPassword'] },
];
// Account fields: the rules the server enforces and the sign-up form checks as you type, in one place.

export const AccountUsername = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,40}$/, 'Username must be 3 to 40 letters, digits, dots, dashes or underscores');
export const AccountEmail = z.string().trim().toLowerCase().email('Enter a valid email address').max(254);
export const AccountPassword = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(200, 'Password must be at most 200 characters');

/** The sign-up form, field by field: every problem at once, each under its field. */
export const SignupForm = z
  .object({ username: AccountUsername, email: AccountEmail, password: AccountPassword, confirmPassword: z.string() })
  .refine((value) => value.password === value.confirmPassword, { message: webMessages.passwordsDiffer(), path: ['confirmPassword'] });

// Requests

export const SignupRequest = z
  .object({
    username: textLine(z.string().max(100)),
    email: textLine(z.string().max(254)),
    password: textLine(z.string().max(200)),
    confirmPassword: textLine(z.string().max(200)),
  })
  .refine((value) => value.password === value.confirmPassword, { message: webMessages.passwordsDiffer(), path: ['confirmPassword'] });
export type SignupRequest = z.infer<typeof SignupRequest>;

export const TokenRequest = z.object({ token: textLine(z.string().trim().min(1, webMessages.linkInvalid()).max(200)) });
export type TokenRequest = z.infer<typeof TokenRequest>;

export const ForgotPasswordRequest = z.object({
  /** E-mail address or username. */
  login: textLine(z.string().trim().min(1, 'Enter your e-mail address or username').max(254)),
});
export type ForgotPasswordRequest = z.infer<typeof ForgotPasswordRequest>;

export const ResetPasswordRequest = z
  .object({ token: textLine(z.string().trim().min(1, webMessages.linkInvalid()).max(200)), password: textLine(z.string().max(200)), confirmPassword: textLine(z.string().max(200)) })
  .refine(...passwordsMatch);
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequest>;

export const ChangePasswordRequest = z
  .object({ currentPassword: textLine(z.string().min(1, 'Enter your current password').max(200)), password: textLine(z.string().max(200)), confirmPassword: textLine(z.string().max(200)) })
  .refine(...passwordsMatch);
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const ChangeEmailRequest = z.object({
  email: textLine(z.string().trim().max(254)),
  currentPassword: textLine(z.string().min(1, 'Enter your current password').max(200)),
});
export type ChangeEmailRequest = z.infer<typeof ChangeEmailRequest>;

/** A TOTP code or a recovery code. */
export const CodeRequest = z.object({ code: textLine(z.string().trim().min(1, 'Enter a code').max(40)) });
export type CodeRequest = z.infer<typeof CodeRequest>;

export const LoginRequest = z.object({
  /** Username or email. */
  username: textLine(z.string().trim().min(1, 'Enter your username or email').max(254)),
  password: textLine(z.string().min(1, 'Enter your password').max(200)),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** 1–100 characters after trimming, counted as characters, not UTF-16 units. */
export const DeviceLabel = displayName(
  z
    .string()
    .trim()
    .refine((value) => value.length > 0 && [...value].length <= 100, { message: webMessages.deviceName() }),
);

export const RenameDeviceBody = z.object({ label: DeviceLabel });
export type RenameDeviceBody = z.infer<typeof RenameDeviceBody>;

/** A device id in a path: plain decimal digits only (no `0x13`, `19e0` or `+19`). */
export const DeviceIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'Device id must be a positive decimal number')
    .transform(Number),
});

export const BackupVersionParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'Unknown backup version') });

/** Delete all backups: the subscriber types their username to confirm. */
export const DeleteBackupsBody = z.object({ confirmUsername: z.string().trim().min(1, 'Type your username to confirm').max(100) });
export type DeleteBackupsBody = z.infer<typeof DeleteBackupsBody>;

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

/** One version of the subscriber's backup (the encrypted file the app uploaded). */
export const WebBackupVersion = z.object({
  id: z.string(),
  /** The backup the apps download; the others are earlier versions. */
  current: z.boolean(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  /** ISO 8601, server time of the upload (or of the restore that made it current). */
  uploadedAt: z.string(),
  /** "Work laptop (linux)", or "a rotki app (rotki/1.44.0)". */
  uploadedBy: z.string(),
  deviceName: z.string().nullable(),
  devicePlatform: z.string().nullable(),
});
export type WebBackupVersion = z.infer<typeof WebBackupVersion>;

export const WebBackups = z.object({
  /** False when the plan (or no plan) has no cloud backup. */
  included: z.boolean(),
  tier: z.string().nullable(),
  maxBackupSizeMb: z.number().int(),
  /** Versions kept, the current one included. */
  versionsKept: z.number().int(),
  versions: z.array(WebBackupVersion),
});
export type WebBackups = z.infer<typeof WebBackups>;

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
  account: z.object({
    username: z.string(),
    email: z.string(),
    createdAt: z.string(),
    emailVerified: z.boolean(),
  }),
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
  /** Unseen for the operator's stale-device days or more. */
  stale: z.boolean(),
});
export type WebDevice = z.infer<typeof WebDevice>;

/** A stale device the server replaced with a new one at the device limit; dates are ISO 8601. */
export const WebDeviceReplacement = z.object({
  replacedLabel: z.string(),
  replacedPlatform: z.string(),
  replacedLastSeenAt: z.string(),
  label: z.string(),
  platform: z.string(),
  replacedAt: z.string(),
});
export type WebDeviceReplacement = z.infer<typeof WebDeviceReplacement>;

export const WebDeviceList = z.object({
  devices: z.array(WebDevice),
  limit: z.number().int(),
  /** A device unseen for this many days is stale. */
  staleAfterDays: z.number().int(),
  /** Whether a registration at the limit replaces the longest-unseen stale device. */
  replacesStale: z.boolean(),
  /** The replacements made, newest first. */
  replacements: z.array(WebDeviceReplacement),
});
export type WebDeviceList = z.infer<typeof WebDeviceList>;

export const WebSuccess = z.object({ success: z.literal(true) });

/** What sign-up and other requests that send a mail answer (the same whatever the address). */
export const MailSentResponse = z.object({ message: z.string() });
export type MailSentResponse = z.infer<typeof MailSentResponse>;

/** The password was right and a second factor is due: which ones the account has. */
export const SecondFactorChallenge = z.object({ secondFactor: z.array(z.enum(['totp', 'passkey'])) });
export type SecondFactorChallenge = z.infer<typeof SecondFactorChallenge>;

export const LoginResponse = z.union([AccountResponse, SecondFactorChallenge]);
export type LoginResponse = z.infer<typeof LoginResponse>;

// Two-factor sign-in and the Account page

export const TotpSetupResponse = z.object({
  /** Base32, for typing into an authenticator app by hand. */
  secret: z.string(),
  /** `otpauth://…`, for the QR code. */
  otpauthUri: z.string(),
});
export type TotpSetupResponse = z.infer<typeof TotpSetupResponse>;

/** Shown once: only hashes are kept. */
export const RecoveryCodesResponse = z.object({ recoveryCodes: z.array(z.string()) });
export type RecoveryCodesResponse = z.infer<typeof RecoveryCodesResponse>;

export const WebPasskey = z.object({ id: z.number().int(), name: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable() });
export type WebPasskey = z.infer<typeof WebPasskey>;

export const WebSessionInfo = z.object({
  id: z.number().int(),
  /** The session of this browser. */
  current: z.boolean(),
  /** "Chrome on Linux", from the User-Agent. */
  browser: z.string(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
});
export type WebSessionInfo = z.infer<typeof WebSessionInfo>;

export const SecurityResponse = z.object({
  totpEnabled: z.boolean(),
  recoveryCodesLeft: z.number().int(),
  passkeys: z.array(WebPasskey),
  sessions: z.array(WebSessionInfo),
});
export type SecurityResponse = z.infer<typeof SecurityResponse>;

/** WebAuthn options as @simplewebauthn/server makes them and @simplewebauthn/browser takes them. */
export const WebAuthnOptions = z.looseObject({ challenge: z.string() });
export type WebAuthnOptions = z.infer<typeof WebAuthnOptions>;

const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*={0,2}$/, 'Not base64url');

/** What `startRegistration` of @simplewebauthn/browser answers. */
export const PasskeyRegistration = z.object({
  id: b64url(1024),
  rawId: b64url(1024),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url(16_384),
    attestationObject: b64url(65_536),
    transports: z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

export const AddPasskeyRequest = z.object({
  name: z.string().trim().min(1, 'Name the passkey').max(60, 'A passkey name is at most 60 characters'),
  registration: PasskeyRegistration,
});
export type AddPasskeyRequest = z.infer<typeof AddPasskeyRequest>;

export const AddPasskeyResponse = z.object({ passkey: WebPasskey, recoveryCodes: z.array(z.string()).nullable() });
export type AddPasskeyResponse = z.infer<typeof AddPasskeyResponse>;

/** What `startAuthentication` of @simplewebauthn/browser answers. */
export const PasskeyAssertion = z.object({
  id: b64url(1024),
  rawId: b64url(1024),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url(16_384),
    authenticatorData: b64url(16_384),
    signature: b64url(4096),
    userHandle: b64url(1024).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

export const PasskeyLoginRequest = z.object({ assertion: PasskeyAssertion });
export type PasskeyLoginRequest = z.infer<typeof PasskeyLoginRequest>;

/**
 * Removing a passkey needs a current second factor, as turning the
 * authenticator app off does: one of the account's passkeys (any, this one
 * too), a code from the authenticator app, or a recovery code.
 */
export const RemovePasskeyRequest = z.union([
  z.object({ assertion: PasskeyAssertion }).strict(),
  CodeRequest.strict(),
]);
export type RemovePasskeyRequest = z.infer<typeof RemovePasskeyRequest>;

export const IdParam = z.object({ id: z.coerce.number().int().positive() });

/** Profile and billing details (printed on invoices); empty strings mean "not given". */
export const Profile = z
  .object({
    fullName: z.string().trim().max(120, 'The name is at most 120 characters'),
    company: z.string().trim().max(120, 'The company is at most 120 characters'),
    vatId: z.string().trim().max(20, 'A VAT id is at most 20 characters'),
    address: z.array(z.string().trim().max(120, 'An address line is at most 120 characters')).max(4, 'At most 4 address lines'),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^([A-Z]{2})?$/, 'Choose a country'),
  })
  .superRefine((value, context) => {
    if (value.vatId === '') return;
    if (!EU_COUNTRY_CODES.includes(value.country)) {
      context.addIssue({ code: 'custom', path: ['vatId'], message: 'A VAT id is taken for a business in an EU country: choose the country first.' });
    } else if (!isVatIdOf(value.vatId, value.country)) {
      context.addIssue({ code: 'custom', path: ['vatId'], message: `This is not the form of a VAT id of ${value.country}.` });
    }
  });
export type Profile = z.infer<typeof Profile>;

export const DeleteAccountRequest = z.object({
  /** Typed to confirm. */
  username: z.string().trim().max(100),
  /** The password or a current second-factor code: one of them. */
  password: z.string().max(200).default(''),
  code: z.string().trim().max(40).default(''),
});
export type DeleteAccountRequest = z.infer<typeof DeleteAccountRequest>;
