/** Time as the domain sees it; tests pass a controllable one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
