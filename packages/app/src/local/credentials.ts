import { z } from 'zod';
import { open, seal } from './crypto.ts';
import type { UserDb } from './user-db.ts';

/**
 * The premium API key and secret at rest: one row, sealed with the key
 * derived from the user's password. Never written in plain text and, as in
 * rotki, written without bumping `last_write_ts` (a freshly set-up device
 * still counts as older than the remote backup).
 */

const ROW_NAME = 'rotkehlchen';
const AAD = 'rotki-premium-app:premium-credentials';

export interface PremiumCredentials {
  apiKey: string;
  apiSecret: string;
}

const Stored = z.object({ api_key: z.string(), api_secret: z.string() });

export function saveCredentials(db: UserDb, key: Uint8Array, credentials: PremiumCredentials, nowSeconds: number): void {
  const plaintext = Buffer.from(JSON.stringify({ api_key: credentials.apiKey, api_secret: credentials.apiSecret }), 'utf8');
  db.prepare(
    'INSERT INTO user_credentials (name, sealed, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at',
  ).run(ROW_NAME, seal(key, plaintext, AAD), nowSeconds);
}

/** The stored pair, or null when none is stored (or it cannot be opened with this key). */
export function loadCredentials(db: UserDb, key: Uint8Array): PremiumCredentials | null {
  const row = db.prepare('SELECT sealed FROM user_credentials WHERE name = ?').get(ROW_NAME) as { sealed: Buffer } | undefined;
  if (row === undefined) return null;
  try {
    const parsed = Stored.parse(JSON.parse(open(key, row.sealed, AAD).toString('utf8')));
    return { apiKey: parsed.api_key, apiSecret: parsed.api_secret };
  } catch {
    return null;
  }
}

export function deleteCredentials(db: UserDb): boolean {
  return db.prepare('DELETE FROM user_credentials WHERE name = ?').run(ROW_NAME).changes > 0;
}
