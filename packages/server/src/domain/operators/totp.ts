import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) through the
 * otpauth library, for the operators' second factor. The accounts area brings
 * its own second factors for subscribers; when its module is on main this file
 * gives way to it (one TOTP implementation in the tree).
 */

const PERIOD_SECONDS = 30;
const ISSUER = 'rotki premium console';

function totpOf(secretBase32: string, label = 'operator'): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

/** A fresh 160-bit secret in base32, as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app reads from a QR code or a link. */
export function totpUri(secretBase32: string, label: string): string {
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
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}
