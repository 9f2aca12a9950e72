/** Whether this browser offers WebAuthn (passkeys). */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function';
}

/** The browser's own passkey errors, in words; null for other errors. */
export function passkeyErrorMessage(error: unknown): string | null {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') return 'The passkey request was cancelled or timed out. Try again.';
  if (name === 'InvalidStateError') return 'This passkey is registered already.';
  if (name === 'SecurityError') return 'Passkeys need this site to be opened at its own address (over HTTPS).';
  return null;
}
