import type { WebPlan } from '@rotki-premium/protocol/web-api';

export type Period = 'monthly' | 'yearly';

/** What a year costs less than twelve months, in minor units; null when either price is missing or there is no saving. */
export function yearlySaving(plan: WebPlan): number | null {
  const { monthly, yearly } = plan.prices;
  if (monthly === null || yearly === null) return null;
  const saving = monthly * 12 - yearly;
  return saving > 0 ? saving : null;
}

/** The largest saving of a year over months across plans, in whole percent (for the toggle's label). */
export function bestSavingPercent(plans: readonly WebPlan[]): number | null {
  let best = 0;
  for (const plan of plans) {
    const saving = yearlySaving(plan);
    if (saving !== null && plan.prices.monthly !== null) best = Math.max(best, Math.floor((saving * 100) / (plan.prices.monthly * 12)));
  }
  return best > 0 ? best : null;
}

export interface CallToAction {
  label: string;
  /** null: shown disabled, with `hint`. */
  enabled: boolean;
  hint: string | null;
}

/** The plan card's button for a buyer whose active plan is `current` (with its display order). */
export function callToAction(plan: WebPlan, order: number, current: { name: string; order: number } | null): CallToAction {
  if (current === null) return { label: `Choose ${plan.name}`, enabled: true, hint: null };
  if (current.name === plan.name) return { label: 'Renew', enabled: true, hint: null };
  if (order > current.order) return { label: `Upgrade to ${plan.name}`, enabled: true, hint: null };
  return { label: `Choose ${plan.name}`, enabled: false, hint: `Available when your ${current.name} plan ends` };
}
