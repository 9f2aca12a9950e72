import { z } from 'zod';
import { SITE_PATHS } from '@rotki-premium/protocol/web-api';
import { defineTemplate } from '../template.ts';

/** What changed; one mail per security-relevant change of an account. */
export const SecurityEvent = z.enum([
  'password_changed',
  'password_reset',
  'totp_enabled',
  'totp_disabled',
  'recovery_codes_regenerated',
  'passkey_added',
  'passkey_removed',
  'credentials_created',
  'credentials_regenerated',
  'device_registered',
  'email_changed',
]);
export type SecurityEvent = z.infer<typeof SecurityEvent>;

const SUMMARY: Record<SecurityEvent, { subject: string; line: (detail: string) => string }> = {
  password_changed: { subject: 'Your password was changed', line: () => 'The password of your account was changed.' },
  password_reset: {
    subject: 'Your password was reset',
    line: () => 'The password of your account was reset with a link from an earlier mail. Every other session was logged out.',
  },
  totp_enabled: { subject: 'Two-factor sign-in is on', line: () => 'Two-factor sign-in with an authenticator app was turned on.' },
  totp_disabled: { subject: 'Two-factor sign-in is off', line: () => 'Two-factor sign-in with an authenticator app was turned off.' },
  recovery_codes_regenerated: {
    subject: 'New recovery codes',
    line: () => 'New recovery codes were created; the previous ones no longer work.',
  },
  passkey_added: { subject: 'A passkey was added', line: (d) => `A passkey${d === '' ? '' : ` named "${d}"`} was added to your account.` },
  passkey_removed: { subject: 'A passkey was removed', line: (d) => `The passkey${d === '' ? '' : ` "${d}"`} was removed from your account.` },
  credentials_created: { subject: 'API credentials created', line: () => 'API credentials were created for your premium subscription.' },
  credentials_regenerated: {
    subject: 'API credentials regenerated',
    line: () => 'Your API credentials were regenerated: the previous key and secret stopped working on every device.',
  },
  device_registered: {
    subject: 'A new device uses your premium subscription',
    line: (d) => `A new device${d === '' ? '' : `, "${d}",`} was registered with your API credentials.`,
  },
  email_changed: { subject: 'Your e-mail address was changed', line: (d) => `The e-mail address of your account is now ${d}.` },
};

export const securityNotice = defineTemplate({
  schema: z.object({ username: z.string(), event: SecurityEvent, detail: z.string().max(200).default('') }),
  render: ({ username, event, detail }, { siteUrl }) => ({
    subject: `rotki premium: ${SUMMARY[event].subject.toLowerCase()}`,
    paragraphs: [`Hello ${username},`, SUMMARY[event].line(detail)],
    action: { label: 'Review your account', url: `${siteUrl}${SITE_PATHS.accountSettings}` },
    after: ['If this was you, there is nothing to do. If it was not, change your password and check your sessions and devices at once.'],
  }),
});
