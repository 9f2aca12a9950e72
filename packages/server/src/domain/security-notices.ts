import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';
import { enqueueMail } from './mail/queue.ts';
import type { SecurityEvent } from './mail/templates/security-notice.ts';

/**
 * Queues the "security change" mail to the account's current address. Pass
 * the transaction of the change, so the mail goes if and only if it commits.
 */
export async function notifySecurityChange(
  db: Kysely<Database>,
  clock: Clock,
  accountId: number,
  event: SecurityEvent,
  detail = '',
): Promise<void> {
  const row = await db.selectFrom('accounts').select(['username', 'email']).where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) return;
  await enqueueMail(db, clock, { to: row.email, template: 'security-notice', data: { username: row.username, event, detail } });
}
