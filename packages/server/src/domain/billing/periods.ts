import { addMonths } from '../subscriptions.ts';
import type { BillingPeriod } from './settings.ts';

/** The end of one billing period that starts at `startMs`. */
export function addPeriod(startMs: number, period: BillingPeriod): number {
  return addMonths(startMs, period === 'yearly' ? 12 : 1);
}

export function monthsOf(period: BillingPeriod): number {
  return period === 'yearly' ? 12 : 1;
}

/**
 * What moving to a dearer plan costs for the rest of a period: the price
 * difference times the share of the period left, rounded to the minor unit
 * (half up). Nothing when the period is over or the new plan is not dearer.
 */
export function proratedUpgrade(
  currentPriceMinor: number,
  newPriceMinor: number,
  period: { startMs: number; endMs: number },
  nowMs: number,
): number {
  const length = period.endMs - period.startMs;
  const left = Math.min(Math.max(period.endMs - nowMs, 0), length);
  const difference = newPriceMinor - currentPriceMinor;
  if (length <= 0 || left === 0 || difference <= 0) return 0;
  // BigInt: difference × milliseconds can pass 2^53.
  return Number((BigInt(difference) * BigInt(left) * 2n + BigInt(length)) / (2n * BigInt(length)));
}
