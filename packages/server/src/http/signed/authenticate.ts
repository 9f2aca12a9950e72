import {
  AuthErrorCode,
  decodeApiSecret,
  isWellFormedApiKey,
  messages,
  verifyEncoded,
  type SignMethod,
} from '@rotki-premium/protocol';
import { findSignerByApiKey, sameSignerRow, signerOf, type Signer } from '../../domain/credentials.ts';
import type { DomainContext } from '../../domain/context.ts';
import { acceptOnce, type ReplayCommit } from '../../domain/replay-guard.ts';
import type { Tier } from '../../domain/tiers.ts';

/** A request whose signature, nonce and subscription were accepted. */
export interface Subscriber {
  accountId: number;
  username: string;
  apiKey: string;
  tier: Tier;
  periodEnd: Date;
  /** Every tier, in display order, as read with the key (no second read for `limits`). */
  tiers: readonly Tier[];
}

export class AuthFailure extends Error {
  readonly code: AuthErrorCode;
  /** Counts toward the failed-signature limit. */
  readonly isSignatureFailure: boolean;

  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthFailure';
    this.code = code;
    this.isSignatureFailure = code === AuthErrorCode.UnknownApiKey || code === AuthErrorCode.SignatureMismatch;
  }
}

export interface SignedRequestInput {
  apiKey: string;
  apiSign: string;
  signMethod: SignMethod;
  /** S of PROTOCOL.md §4.2: the raw query string or body, or the re-encoded JSON/multipart fields. */
  encodedParams: string | Buffer;
  /** The nonce parameter as received; undefined for `watchers`, which has none. */
  nonce: string | undefined;
  /** False only for `watchers` (no nonce in the protocol). */
  requireNonce: boolean;
}

export interface VerificationPolicy {
  nonceWindowMs: number;
  /** When the replay record is committed (`store/replay-batch.ts`); batched unless said. */
  replayCommit?: ReplayCommit;
}

const NONCE_PATTERN = /^\d{1,16}$/;

/**
 * The first step of PROTOCOL.md §4.6, taken from the headers alone before any
 * body is read: a key that is not of our format is refused without a query,
 * an unknown one after a single indexed lookup. `confirmedByReplay`: the
 * request records a replay row, whose commit reads the key's row again
 * (`findSignerByApiKey`), so a row kept from an earlier read may serve.
 */
export async function lookUpSigner(ctx: DomainContext, apiKey: string, options: { confirmedByReplay?: boolean } = {}): Promise<Signer> {
  const signer = isWellFormedApiKey(apiKey) ? await findSignerByApiKey(ctx, apiKey, options) : null;
  if (signer === null) throw new AuthFailure(AuthErrorCode.UnknownApiKey, messages.unknownApiKey());
  return signer;
}

/**
 * Signature → nonce window → account not suspended → subscription, against
 * one reading of the key's row. `checkSignature` false: the secret is the one
 * the signature was checked with already.
 */
function check(signer: Signer, policy: VerificationPolicy, input: SignedRequestInput, now: number, checkSignature = true): void {
  if (checkSignature) {
    const secret = decodeApiSecret(signer.apiSecret);
    if (secret === null || !verifyEncoded(secret, input.signMethod, input.encodedParams, input.apiSign)) {
      throw new AuthFailure(AuthErrorCode.SignatureMismatch, messages.signatureMismatch());
    }
  }

  if (input.requireNonce) {
    const nonce = input.nonce ?? '';
    const windowSeconds = Math.round(policy.nonceWindowMs / 1000);
    if (!NONCE_PATTERN.test(nonce) || Math.abs(Number(nonce) - now) > policy.nonceWindowMs) {
      throw new AuthFailure(AuthErrorCode.NonceOutsideWindow, messages.nonceOutsideWindow(windowSeconds));
    }
  }

  if (signer.suspended) throw new AuthFailure(AuthErrorCode.AccountSuspended, messages.accountSuspended());

  const subscription = signer.subscription;
  if (subscription === null || !subscription.active) {
    throw new AuthFailure(
      AuthErrorCode.SubscriptionInactive,
      messages.subscriptionInactive(subscription === null ? null : subscription.periodEnd),
    );
  }
}

/**
 * PROTOCOL.md §4.6 and decisions 1–2: key → signature → nonce window →
 * account not suspended → subscription → replay. Nothing is written before the signature and window
 * checks pass; the replay record is the only write. `signer` is the key's
 * owner when the caller looked it up already (before reading the body).
 *
 * A signer kept from an earlier read (not `current`, PostgreSQL) only decides
 * whether to go on: a refusal is checked again on a fresh read, and an
 * acceptance is judged again on the row the replay commit read in its own
 * statement, so the request is answered on the key's state at its commit.
 */
export async function verifySignedRequest(
  ctx: DomainContext,
  policy: VerificationPolicy,
  input: SignedRequestInput,
  known?: Signer,
): Promise<Subscriber> {
  let signer: Signer = known ?? (await lookUpSigner(ctx, input.apiKey, { confirmedByReplay: input.requireNonce }));
  // Without a replay record nothing reads the row again: a kept one does not serve.
  if (!signer.current && !input.requireNonce) signer = await lookUpSigner(ctx, input.apiKey);
  try {
    check(signer, policy, input, ctx.clock.now());
  } catch (error) {
    if (signer.current || !(error instanceof AuthFailure)) throw error;
    signer = await lookUpSigner(ctx, input.apiKey);
    check(signer, policy, input, ctx.clock.now());
  }

  if (input.requireNonce) {
    const verdict = await acceptOnce(ctx, signer.apiKey, input.nonce ?? '', input.apiSign, policy.nonceWindowMs, policy.replayCommit);
    if (!signer.current) {
      const row = verdict.current;
      // Without a row read by the commit (a replay refused on sight), a read of its own.
      let fresh: Signer | null;
      if (row === undefined) fresh = await lookUpSigner(ctx, input.apiKey);
      else if (row === null) fresh = null;
      else fresh = sameSignerRow(row, signer.row) ? { ...signer, current: true } : await signerOf(ctx, row, true);
      if (fresh === null) throw new AuthFailure(AuthErrorCode.UnknownApiKey, messages.unknownApiKey());
      check(fresh, policy, input, ctx.clock.now(), fresh.apiSecret !== signer.apiSecret);
      signer = fresh;
    }
    if (!verdict.inserted) throw new AuthFailure(AuthErrorCode.Replayed, messages.replayed());
  }

  const subscription = signer.subscription;
  if (subscription === null) throw new Error('a verified signer without a subscription');
  return {
    accountId: signer.accountId,
    username: signer.username,
    apiKey: signer.apiKey,
    tier: subscription.tier,
    periodEnd: subscription.periodEnd,
    tiers: signer.tiers,
  };
}
