import type { Generated, Selectable } from 'kysely';

/**
 * 'pending': waiting for its next attempt (`next_attempt_at`); 'sent': handed
 * to the transport; 'failed': gave up after the last attempt (the operator can
 * retry it with `admin mail retry`).
 */
export type MailStatus = 'pending' | 'sent' | 'failed';

/** One outgoing mail. Rendered at send time from `template` and `data`, so links use the current site URL. */
export interface MailQueueTable {
  id: Generated<number>;
  recipient: string;
  template: string;
  /** JSON object validated by the template's schema at enqueue time; never holds a password or API secret. */
  data: string;
  status: MailStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}
export type MailQueueRow = Selectable<MailQueueTable>;

/** A named background job's current holder: only the holder of an unexpired lease runs the job. */
export interface JobLeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}
