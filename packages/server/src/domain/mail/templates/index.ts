import type { z } from 'zod';
import type { MailTemplate } from '../template.ts';
import { accountDeleted, emailChanged, emailChangeVerify, passwordReset, signupAttempt, verifyEmail } from './account-mails.ts';
import { paymentFailed, paymentReceipt, renewalReminder, subscriptionExpired, subscriptionExpiring } from './billing-mails.ts';
import { securityNotice } from './security-notice.ts';

/**
 * Every mail the service sends, by name. To add one: a `defineTemplate` in a
 * file of this folder and a line here; `enqueueMail` then accepts its name and
 * type-checks its data.
 */
export const MAIL_TEMPLATES = {
  'verify-email': verifyEmail,
  'signup-attempt': signupAttempt,
  'password-reset': passwordReset,
  'email-change-verify': emailChangeVerify,
  'email-changed': emailChanged,
  'account-deleted': accountDeleted,
  'security-notice': securityNotice,
  'payment-receipt': paymentReceipt,
  'renewal-reminder': renewalReminder,
  'subscription-expiring': subscriptionExpiring,
  'payment-failed': paymentFailed,
  'subscription-expired': subscriptionExpired,
} as const satisfies Record<string, MailTemplate>;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;
export type MailTemplateData<N extends MailTemplateName> = z.input<(typeof MAIL_TEMPLATES)[N]['schema']>;

export function isMailTemplateName(name: string): name is MailTemplateName {
  return Object.hasOwn(MAIL_TEMPLATES, name);
}
