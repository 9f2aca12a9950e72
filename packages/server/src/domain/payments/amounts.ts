import { formatMoney } from '../billing/money.ts';

/**
 * How a received amount compares with what was asked: enough (with a note
 * when it is more), or too little (kept for the operator, never lost).
 */
export function judgeAmount(
  receivedMinor: number,
  dueMinor: number,
  currency: string,
): { flag: string | null; note: string | null } {
  if (receivedMinor < dueMinor) {
    return { flag: `underpaid: received ${formatMoney(receivedMinor, currency)} of ${formatMoney(dueMinor, currency)}`, note: null };
  }
  if (receivedMinor > dueMinor) {
    return { flag: null, note: `overpaid by ${formatMoney(receivedMinor - dueMinor, currency)}` };
  }
  return { flag: null, note: null };
}
