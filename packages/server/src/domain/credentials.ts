import { generateApiCredentials } from '@rotki-premium/protocol';
import { lockAccount } from '../store/database.ts';
import type { SignerRow } from '../store/hot-statements.ts';
import { recordAudit } from './audit.ts';
import { decryptSecret, forgetSecret } from './secret-cache.ts';
import { notifySecurityChange } from './security-notices.ts';
import type { DomainContext } from './context.ts';
import { conflict, notFound } from './errors.ts';
import { requireActiveSubscription, isSubscriptionActive } from './subscriptions.ts';
import { tierIn, tiersAsOf, type Tier } from './tiers.ts';

export interface ApiCredentials {
  apiKey: string;
  apiSecret: string;
  createdAt: Date;
}

/** Binds a stored secret to its account: a ciphertext moved to another row does not decrypt. */
export function secretContext(accountId: number): string {
  return `api-secret:account:${accountId}`;
}

export interface AuditSource {
  ip?: string | null;
  via?: 'web' | 'cli' | 'api' | 'console';
}

/** Creates the account's first pair. Needs an active subscription; never replaces an existing pair. */
export async function createCredentials(
  ctx: DomainContext,
  accountId: number,
  source: AuditSource = {},
): Promise<ApiCredentials> {
  await requireActiveSubscription(ctx, accountId);
  const pair = generateApiCredentials();
  const createdAt = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    await lockAccount(trx, ctx.store.dialect, accountId);
    const existing = await trx.selectFrom('api_credentials').select('account_id').where('account_id', '=', accountId).executeTakeFirst();
    if (existing !== undefined) throw conflict('API credentials already exist for this account; use Regenerate to replace them');
    await trx
      .insertInto('api_credentials')
      .values({
        account_id: accountId,
        api_key: pair.apiKey,
        secret_ciphertext: ctx.keyRing.encrypt(pair.apiSecret, secretContext(accountId)),
        created_at: createdAt,
      })
      .execute();
    await notifySecurityChange(trx, ctx.clock, accountId, 'credentials_created');
  });
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'credentials.created',
    detail: { api_key_prefix: pair.apiKey.slice(0, 10), via: source.via ?? 'web' },
    ip: source.ip ?? null,
  });
  return { ...pair, createdAt: new Date(createdAt) };
}

/**
 * Replaces the pair in one statement (and queues the owner's mail with it):
 * from the moment this returns, the old key is unknown to every server
 * instance (the signed path reads the row on every request; its cache of
 * decrypted secrets is checked against the row's ciphertext).
 */
export async function regenerateCredentials(
  ctx: DomainContext,
  accountId: number,
  source: AuditSource = {},
): Promise<ApiCredentials> {
  await requireActiveSubscription(ctx, accountId);
  const pair = generateApiCredentials();
  const createdAt = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('api_credentials')
      .set({
        api_key: pair.apiKey,
        secret_ciphertext: ctx.keyRing.encrypt(pair.apiSecret, secretContext(accountId)),
        created_at: createdAt,
      })
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound('No API credentials yet: create them first');
    forgetSecret(ctx, accountId);
    // Queued with the change: the mail goes if and only if the new pair is in place.
    await notifySecurityChange(trx, ctx.clock, accountId, 'credentials_regenerated');
  });
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'credentials.regenerated',
    detail: { api_key_prefix: pair.apiKey.slice(0, 10), via: source.via ?? 'web' },
    ip: source.ip ?? null,
  });
  return { ...pair, createdAt: new Date(createdAt) };
}

/** The account's pair, decrypted for its owner; null before Create. */
export async function getCredentials(ctx: DomainContext, accountId: number): Promise<ApiCredentials | null> {
  const row = await ctx.store.db.selectFrom('api_credentials').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (row === undefined) return null;
  return {
    apiKey: row.api_key,
    apiSecret: ctx.keyRing.decrypt(row.secret_ciphertext, secretContext(accountId)),
    createdAt: new Date(Number(row.created_at)),
  };
}

/** The pair shown to its owner on the website; every showing is audited. */
export async function viewCredentials(ctx: DomainContext, accountId: number, source: AuditSource = {}): Promise<ApiCredentials> {
  const pair = await getCredentials(ctx, accountId);
  if (pair === null) throw notFound('No API credentials yet: click Create on your subscription page to generate them');
  await recordAudit(ctx.store.db, ctx.clock, {
    accountId,
    action: 'credentials.viewed',
    detail: { api_key_prefix: pair.apiKey.slice(0, 10), via: source.via ?? 'web' },
    ip: source.ip ?? null,
  });
  return pair;
}

/** When the account's pair was created, without decrypting it; null before Create. */
export async function credentialsCreatedAt(ctx: DomainContext, accountId: number): Promise<Date | null> {
  const row = await ctx.store.db.selectFrom('api_credentials').select('created_at').where('account_id', '=', accountId).executeTakeFirst();
  return row === undefined ? null : new Date(Number(row.created_at));
}

/** Everything a signed request needs about the key's owner, read in one query. */
export interface Signer {
  accountId: number;
  username: string;
  apiKey: string;
  apiSecret: string;
  /** An operator suspended the account: its signed requests are refused. */
  suspended: boolean;
  subscription: { active: boolean; periodEnd: Date; tier: Tier } | null;
  /** Every tier, in display order, as of the signer's read. */
  tiers: readonly Tier[];
  /**
   * True when read for this request; false when kept from an earlier read
   * (PostgreSQL), to be judged again on the row its replay commit reads.
   */
  current: boolean;
  /** The row it was built from. */
  row: SignerRow;
}

/** Whether two readings of a key's row say the same. */
export function sameSignerRow(a: SignerRow, b: SignerRow): boolean {
  return (
    a.api_key === b.api_key &&
    a.secret_ciphertext === b.secret_ciphertext &&
    Number(a.account_id) === Number(b.account_id) &&
    a.username === b.username &&
    a.suspended_at === b.suspended_at &&
    a.status === b.status &&
    a.period_end === b.period_end &&
    a.tier_id === b.tier_id &&
    a.tiers_version === b.tiers_version
  );
}

/**
 * The key's owner, read for this request (never cached: a regenerated or
 * removed pair is refused at once on every instance). With `confirmedByReplay`
 * (the request will record a replay row, whose commit reads the row again on
 * PostgreSQL) a row kept from an earlier read may serve instead, marked not
 * `current`: `verifySignedRequest` judges the request on the row its commit read.
 */
export async function findSignerByApiKey(ctx: DomainContext, apiKey: string, options: { confirmedByReplay?: boolean } = {}): Promise<Signer | null> {
  const kept = options.confirmedByReplay === true ? ctx.store.hot.keptSignerRow?.(apiKey) : undefined;
  if (kept !== undefined) return signerOf(ctx, kept, false);
  const row = await ctx.store.hot.signerRow(apiKey);
  return row === undefined ? null : signerOf(ctx, row, true);
}

/** The signer a row describes; `current` says whether it was read for this request. */
export async function signerOf(ctx: DomainContext, row: SignerRow, current: boolean): Promise<Signer> {
  const accountId = Number(row.account_id);
  // The tier list held in memory serves while its version is the one this read saw.
  const tiers = await tiersAsOf(ctx, row.tiers_version);
  let subscription: Signer['subscription'] = null;
  if (row.status !== null && row.period_end !== null && row.tier_id !== null) {
    subscription = {
      active: isSubscriptionActive({ status: row.status, period_end: row.period_end }, ctx.clock.now()),
      periodEnd: new Date(Number(row.period_end)),
      tier: await tierIn(ctx, tiers, Number(row.tier_id)),
    };
  }
  return {
    accountId,
    username: row.username,
    apiKey: row.api_key,
    apiSecret: decryptSecret(ctx, accountId, row.secret_ciphertext, secretContext(accountId)),
    suspended: row.suspended_at !== null,
    subscription,
    tiers,
    current,
    row,
  };
}
