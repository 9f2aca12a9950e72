import { z } from 'zod';
import { SITE_PATHS } from '@rotki-premium/protocol/web-api';
import { defineTemplate } from '../template.ts';

/** Mails about the account itself: verification, password reset, e-mail change, sign-up attempts, deletion. */

const WithToken = z.object({ username: z.string(), token: z.string().min(20) });

/** Tokens travel in the fragment: a browser never sends it to a server, so it stays out of access logs. */
function tokenLink(siteUrl: string, path: string, token: string): string {
  return `${siteUrl}${path}#token=${encodeURIComponent(token)}`;
}

export const verifyEmail = defineTemplate({
  schema: WithToken,
  render: ({ username, token }, { siteUrl }) => ({
    subject: 'Confirm your e-mail address for rotki premium',
    paragraphs: [`Hello ${username},`, 'Please confirm that this is your e-mail address by opening the link below.'],
    action: { label: 'Confirm e-mail address', url: tokenLink(siteUrl, SITE_PATHS.verifyEmail, token) },
    after: ['The link works once and expires in 48 hours. If you did not sign up for rotki premium, ignore this mail.'],
  }),
});

export const signupAttempt = defineTemplate({
  schema: z.object({ username: z.string() }),
  render: ({ username }, { siteUrl }) => ({
    subject: 'Someone tried to sign up with your e-mail address',
    paragraphs: [
      `Hello ${username},`,
      'Someone tried to create a new rotki premium account with this e-mail address. Your address already belongs to your account, so no new account was created.',
      'If it was you, log in instead; if you forgot your password, reset it.',
    ],
    action: { label: 'Reset password', url: `${siteUrl}${SITE_PATHS.forgotPassword}` },
    after: ['If it was not you, you can ignore this mail: nothing changed.'],
  }),
});

export const passwordReset = defineTemplate({
  schema: WithToken,
  render: ({ username, token }, { siteUrl }) => ({
    subject: 'Reset your rotki premium password',
    paragraphs: [`Hello ${username},`, 'Someone (hopefully you) asked to reset the password of your rotki premium account.'],
    action: { label: 'Choose a new password', url: tokenLink(siteUrl, SITE_PATHS.resetPassword, token) },
    after: [
      'The link works once and expires in 1 hour. Setting a new password logs out every other session.',
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ],
  }),
});

export const emailChangeVerify = defineTemplate({
  schema: WithToken.extend({ newEmail: z.string() }),
  render: ({ username, token, newEmail }, { siteUrl }) => ({
    subject: 'Confirm your new e-mail address for rotki premium',
    paragraphs: [`Hello ${username},`, `Confirm that ${newEmail} should become the e-mail address of your rotki premium account.`],
    action: { label: 'Confirm new address', url: tokenLink(siteUrl, SITE_PATHS.confirmEmail, token) },
    after: ['The link works once and expires in 48 hours. Until then your account keeps its current address.'],
  }),
});

export const emailChanged = defineTemplate({
  schema: z.object({ username: z.string(), newEmail: z.string() }),
  render: ({ username, newEmail }, { siteUrl }) => ({
    subject: 'The e-mail address of your rotki premium account changed',
    paragraphs: [
      `Hello ${username},`,
      `The e-mail address of your rotki premium account is now ${newEmail}. Mails go there from now on.`,
      'If you did not make this change, reset your password and contact the operator of this service at once.',
    ],
    action: { label: 'Reset password', url: `${siteUrl}${SITE_PATHS.forgotPassword}` },
  }),
});

export const accountDeleted = defineTemplate({
  schema: z.object({ username: z.string() }),
  render: ({ username }) => ({
    subject: 'Your rotki premium account was deleted',
    paragraphs: [
      `Hello ${username},`,
      'Your rotki premium account was deleted: its API credentials, devices, backups, sessions and personal details are gone. Payment records are kept, without your name, as the law requires.',
      'This is the last mail you get from us.',
    ],
  }),
});
