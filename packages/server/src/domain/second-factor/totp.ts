import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) through the
 * otpauth library: the one TOTP implementation of the tree, for subscribers'
 * two-factor sign-in and for the operators' console.
 */

const PERIOD_SECONDS = 30;

/** What an authenticator app shows beside the codes. */
export interface TotpLabel {
  issuer: string;
  account: string;
}

function totpOf(secretBase32: string, label: TotpLabel = { issuer: 'rotki premium', account: 'account' }): TOTP {
  return new TOTP({
    issuer: label.issuer,
    label: label.account,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret in base32, as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app reads from a QR code or a link. */
export function totpUri(secretBase32: string, label: TotpLabel): string {
  return totpOf(secretBase32, label).toString();
}

/** The current code (for tests and for the operator's own tools). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: nowMs });
}

/**
 * The time step `code` belongs to (the current one or one either side, for
 * clock drift), or null. A step at or before `lastStep` is refused: each code
 * is accepted once.
 */
export function acceptedTotpStep(secretBase32: string, code: string, nowMs: number, lastStep: number | null): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpOf(secretBase32).validate({ token, timestamp: nowMs, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}
