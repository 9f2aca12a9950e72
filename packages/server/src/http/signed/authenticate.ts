import {
  AuthErrorCode,
  decodeApiSecret,
  isWellFormedApiKey,
  messages,
  verifyEncoded,
  type SignMethod,
} from '@rotki-premium/protocol';
import { findSignerByApiKey, type Signer } from '../../domain/credentials.ts';
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
 * an unknown one after a single indexed lookup.
 */
export async function lookUpSigner(ctx: DomainContext, apiKey: string): Promise<Signer> {
  const signer = isWellFormedApiKey(apiKey) ? await findSignerByApiKey(ctx, apiKey) : null;
  if (signer === null) throw new AuthFailure(AuthErrorCode.UnknownApiKey, messages.unknownApiKey());
  return signer;
}

/**
 * PROTOCOL.md §4.6 and decisions 1–2: key → signature → nonce window →
 * account not suspended → subscription → replay. Nothing is written before the signature and window
 * checks pass; the replay record is the only write. `signer` is the key's
 * owner when the caller looked it up already (before reading the body).
 */
export async function verifySignedRequest(
  ctx: DomainContext,
  policy: VerificationPolicy,
  input: SignedRequestInput,
  known?: Signer,
): Promise<Subscriber> {
  const signer: Signer = known ?? (await lookUpSigner(ctx, input.apiKey));

  const secret = decodeApiSecret(signer.apiSecret);
  if (secret === null || !verifyEncoded(secret, input.signMethod, input.encodedParams, input.apiSign)) {
    throw new AuthFailure(AuthErrorCode.SignatureMismatch, messages.signatureMismatch());
  }

  if (input.requireNonce) {
    const nonce = input.nonce ?? '';
    const windowSeconds = Math.round(policy.nonceWindowMs / 1000);
    if (!NONCE_PATTERN.test(nonce) || Math.abs(Number(nonce) - ctx.clock.now()) > policy.nonceWindowMs) {
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

  if (input.requireNonce && !(await acceptOnce(ctx, signer.apiKey, input.nonce ?? '', input.apiSign, policy.nonceWindowMs, policy.replayCommit))) {
    throw new AuthFailure(AuthErrorCode.Replayed, messages.replayed());
  }

  return {
    accountId: signer.accountId,
    username: signer.username,
    apiKey: signer.apiKey,
    tier: subscription.tier,
    periodEnd: subscription.periodEnd,
    tiers: signer.tiers,
  };
}
