import { createHash } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  WebAuthnCredential,
} from '@simplewebauthn/server';
import type { PasskeyRow } from '../../store/account-security.table.ts';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { DomainError, notFound } from '../errors.ts';
import { notifySecurityChange } from '../security-notices.ts';
import { recoveryCodesLeft, replaceRecoveryCodes } from './recovery-codes.ts';
import { checkSecondFactorCode, wrongCode } from './subscriber-totp.ts';

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server: a second factor after
 * the password, and a sign-in without one. The relying party is the site's
 * public address (`--site-url`), never the request's Host header. Each
 * challenge is stored (by its hash) until answered once or expired.
 */

const CHALLENGE_TTL_MS = 5 * 60_000;

/** Loaded on first use: listing or counting passkeys (admin commands) needs none of it. */
const webauthn = () => import('@simplewebauthn/server');

export interface Passkey {
  id: number;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

function relyingParty(ctx: DomainContext): { rpID: string; origin: string } {
  const url = new URL(ctx.siteUrl);
  return { rpID: url.hostname, origin: url.origin };
}

function challengeHash(challenge: string): string {
  return createHash('sha256').update(`webauthn:${challenge}`, 'utf8').digest('hex');
}

/** The challenge a browser's answer claims to answer (checked by the library against the stored one). */
function claimedChallenge(clientDataJSON: string): string {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : '';
  } catch {
    return '';
  }
}

function refused(message = 'The passkey could not be checked. Try again.'): DomainError {
  return new DomainError('invalid', message, 'wrong_code');
}

async function storeChallenge(ctx: DomainContext, kind: 'passkey_login' | 'passkey_register', accountId: number | null, challenge: string) {
  const now = ctx.clock.now();
  const { db } = ctx.store;
  await db.deleteFrom('auth_challenges').where('expires_at', '<=', now).execute();
  await db
    .insertInto('auth_challenges')
    .values({ token_hash: challengeHash(challenge), kind, account_id: accountId, challenge, attempts: 0, created_at: now, expires_at: now + CHALLENGE_TTL_MS })
    .execute();
}

/** Takes the stored challenge a response answers, once. */
async function takeChallenge(ctx: DomainContext, kind: 'passkey_login' | 'passkey_register', challenge: string) {
  const { db } = ctx.store;
  const row = await db
    .selectFrom('auth_challenges')
    .selectAll()
    .where('token_hash', '=', challengeHash(challenge))
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (row === undefined || Number(row.expires_at) <= ctx.clock.now()) throw refused('This passkey request has expired. Try again.');
  const deleted = await db.deleteFrom('auth_challenges').where('id', '=', row.id).executeTakeFirst();
  if (Number(deleted.numDeletedRows) !== 1) throw refused();
  return row;
}

type Transports = NonNullable<WebAuthnCredential['transports']>;

function transportsOf(row: PasskeyRow): Transports {
  return JSON.parse(row.transports) as Transports;
}

export async function listPasskeys(ctx: DomainContext, accountId: number): Promise<Passkey[]> {
  const rows = await ctx.store.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
  return rows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    createdAt: new Date(Number(row.created_at)),
    lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)),
  }));
}

export async function hasPasskeys(ctx: DomainContext, accountId: number): Promise<boolean> {
  return (await ctx.store.db.selectFrom('passkeys').select('id').where('account_id', '=', accountId).executeTakeFirst()) !== undefined;
}

/** Options for the browser to create a passkey for the logged-in account (a discoverable one, so it can sign in alone). */
export async function passkeyRegistrationOptions(ctx: DomainContext, accountId: number): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const account = await ctx.store.db.selectFrom('accounts').select('username').where('id', '=', accountId).executeTakeFirstOrThrow();
  const existing = await ctx.store.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).execute();
  const { rpID } = relyingParty(ctx);
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: 'rotki premium',
    rpID,
    userName: account.username,
    userID: new TextEncoder().encode(`rotki-premium-account-${accountId}`),
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row) })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await storeChallenge(ctx, 'passkey_register', accountId, options.challenge);
  return options;
}

/**
 * Stores the passkey the browser created. The account's first second factor
 * also brings its recovery codes, returned here (shown once).
 */
export async function addPasskey(
  ctx: DomainContext,
  accountId: number,
  name: string,
  response: RegistrationResponseJSON,
  ip: string | null,
): Promise<{ passkey: Passkey; recoveryCodes: string[] | null }> {
  const challenge = await takeChallenge(ctx, 'passkey_register', claimedChallenge(response.response.clientDataJSON));
  if (Number(challenge.account_id) !== accountId) throw refused();
  const { rpID, origin } = relyingParty(ctx);
  let verification;
  try {
    verification = await (await webauthn()).verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge ?? '',
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
  } catch {
    throw refused();
  }
  if (!verification.verified) throw refused();
  const { credential } = verification.registrationInfo;
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('passkeys').select('id').where('credential_id', '=', credential.id).executeTakeFirst();
    if (taken !== undefined) throw refused('This passkey is registered already.');
    const row = await trx
      .insertInto('passkeys')
      .values({
        account_id: accountId,
        credential_id: credential.id,
        public_key: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: JSON.stringify(credential.transports ?? []),
        name,
        created_at: now,
        last_used_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const recoveryCodes = (await recoveryCodesLeft(trx, accountId)) === 0 ? await replaceRecoveryCodes(trx, accountId) : null;
    await recordAudit(trx, ctx.clock, { accountId, action: 'passkey.added', detail: { name }, ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'passkey_added', name);
    return { passkey: { id: Number(row.id), name, createdAt: new Date(now), lastUsedAt: null }, recoveryCodes };
  });
}

/**
 * Removes one of the account's passkeys once a current second factor is
 * shown (a passkey of the account, or a code). The last second factor gone,
 * the recovery codes go too: two-factor sign-in is off.
 */
export async function removePasskey(
  ctx: DomainContext,
  accountId: number,
  passkeyId: number,
  proof: { assertion: AuthenticationResponseJSON } | { code: string },
  ip: string | null,
): Promise<void> {
  const row = await ctx.store.db.selectFrom('passkeys').select('name').where('id', '=', passkeyId).where('account_id', '=', accountId).executeTakeFirst();
  if (row === undefined) throw notFound('No such passkey');
  if ('assertion' in proof) await checkPasskeyLogin(ctx, proof.assertion, accountId);
  else if ((await checkSecondFactorCode(ctx, accountId, proof.code)) === null) throw wrongCode();
  await ctx.store.db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('passkeys').where('id', '=', passkeyId).where('account_id', '=', accountId).executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw notFound('No such passkey');
    const [passkeyLeft, account] = await Promise.all([
      trx.selectFrom('passkeys').select('id').where('account_id', '=', accountId).executeTakeFirst(),
      trx.selectFrom('accounts').select('totp_enabled_at').where('id', '=', accountId).executeTakeFirstOrThrow(),
    ]);
    if (passkeyLeft === undefined && account.totp_enabled_at === null) await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
    await recordAudit(trx, ctx.clock, { accountId, action: 'passkey.removed', detail: { name: row.name }, ip });
    await notifySecurityChange(trx, ctx.clock, accountId, 'passkey_removed', row.name);
  });
}

/**
 * Options to sign in with a passkey: any of the site's (the browser offers
 * its discoverable ones) or, as a second factor, only `accountId`'s.
 */
export async function passkeyLoginOptions(ctx: DomainContext, accountId: number | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpID } = relyingParty(ctx);
  const allow =
    accountId === null
      ? undefined
      : (await ctx.store.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).execute()).map((row) => ({
          id: row.credential_id,
          transports: transportsOf(row),
        }));
  const options = await (await webauthn()).generateAuthenticationOptions({ rpID, allowCredentials: allow, userVerification: 'required' });
  await storeChallenge(ctx, 'passkey_login', accountId, options.challenge);
  return options;
}

/**
 * Checks a passkey's answer; the account it signs in. With a pending
 * second-factor sign-in, the passkey must be that account's.
 */
export async function checkPasskeyLogin(ctx: DomainContext, response: AuthenticationResponseJSON, expectedAccountId: number | null): Promise<number> {
  const challenge = await takeChallenge(ctx, 'passkey_login', claimedChallenge(response.response.clientDataJSON));
  const { db } = ctx.store;
  const row = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', response.id).executeTakeFirst();
  if (row === undefined) throw refused('This passkey is not known here. Sign in with your password.');
  const accountId = Number(row.account_id);
  if ((challenge.account_id !== null && Number(challenge.account_id) !== accountId) || (expectedAccountId !== null && expectedAccountId !== accountId)) {
    throw refused();
  }
  const { rpID, origin } = relyingParty(ctx);
  let verification;
  try {
    verification = await (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge ?? '',
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: Number(row.counter), transports: transportsOf(row) },
      requireUserVerification: true,
    });
  } catch {
    throw refused();
  }
  if (!verification.verified) throw refused();
  await db
    .updateTable('passkeys')
    .set({ counter: verification.authenticationInfo.newCounter, last_used_at: ctx.clock.now() })
    .where('id', '=', row.id)
    .execute();
  return accountId;
}
