import { z } from 'zod';
import { BILLING_SITE_PATHS, invoiceUrl } from '@rotki-premium/protocol/billing-api';
import { SITE_PATHS } from '@rotki-premium/protocol/web-api';
import { defineTemplate } from '../template.ts';

/** Mails about buying and keeping a subscription: receipt, reminders, a failed renewal, the end. */

const Plan = z.object({ username: z.string(), plan: z.string(), until: z.string() });

function day(iso: string): string {
  return iso.slice(0, 10);
}

export const paymentReceipt = defineTemplate({
  schema: Plan.extend({ amount: z.string(), invoiceNumber: z.string(), method: z.string() }),
  render: ({ username, plan, until, amount, invoiceNumber, method }, { siteUrl }) => ({
    subject: `Your rotki premium receipt ${invoiceNumber}`,
    paragraphs: [
      `Hello ${username},`,
      `Thank you: we received ${amount} by ${method}. Your ${plan} subscription is active until ${day(until)}.`,
      `Your invoice ${invoiceNumber} is ready to download.`,
    ],
    action: { label: 'Download invoice', url: `${siteUrl}${invoiceUrl(invoiceNumber)}` },
    after: ['You find every invoice on your subscription page, under Payments.'],
  }),
});

export const renewalReminder = defineTemplate({
  schema: Plan.extend({ plan: z.string(), period: z.enum(['monthly', 'yearly']) }),
  render: ({ username, plan, until, period }, { siteUrl }) => ({
    subject: `Your rotki premium ${plan} subscription ends on ${day(until)}`,
    paragraphs: [
      `Hello ${username},`,
      `Your ${plan} subscription ends on ${day(until)}. It does not renew by itself: renew it before then to keep rotki premium without a break.`,
    ],
    action: {
      label: 'Renew now',
      url: `${siteUrl}${BILLING_SITE_PATHS.checkout}?tier=${encodeURIComponent(plan)}&period=${period}`,
    },
  }),
});

export const subscriptionExpiring = defineTemplate({
  schema: Plan,
  render: ({ username, plan, until }, { siteUrl }) => ({
    subject: `Your rotki premium ${plan} subscription ends on ${day(until)}`,
    paragraphs: [
      `Hello ${username},`,
      `You cancelled your ${plan} subscription; it stays active until ${day(until)}. After that date rotki premium stops working in the app.`,
      'Changed your mind? Resume it on your subscription page before then.',
    ],
    action: { label: 'Open your subscription', url: `${siteUrl}${SITE_PATHS.subscription}` },
  }),
});

export const paymentFailed = defineTemplate({
  schema: Plan,
  render: ({ username, plan, until }, { siteUrl }) => ({
    subject: 'Your rotki premium renewal payment failed',
    paragraphs: [
      `Hello ${username},`,
      `The renewal payment of your ${plan} subscription failed. Premium stays active until ${day(until)} while the payment is tried again.`,
      'Update your card on your subscription page (Manage card) to keep it.',
    ],
    action: { label: 'Open your subscription', url: `${siteUrl}${SITE_PATHS.subscription}` },
  }),
});

export const subscriptionExpired = defineTemplate({
  schema: z.object({ username: z.string(), plan: z.string() }),
  render: ({ username, plan }, { siteUrl }) => ({
    subject: 'Your rotki premium subscription has ended',
    paragraphs: [
      `Hello ${username},`,
      `Your ${plan} subscription has ended, and rotki premium no longer works in the app. Your account and your API credentials stay: buy a plan again and they work at once.`,
    ],
    action: { label: 'See the plans', url: `${siteUrl}${SITE_PATHS.pricing}` },
  }),
});
