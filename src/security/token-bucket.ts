/**
 * @module security/token-bucket
 * A token bucket per source (the classic traffic policer, as Kamailio's pike and OpenSIPS's
 * ratelimit use in spirit): `burst` tokens at most, refilled at `perSecond`; one new request takes
 * one token. Pure functions over a mutable state object the caller owns, with the time passed in,
 * so the hot path allocates nothing and tests need no clock.
 */

export interface BucketState {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
}

export interface BucketRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** A bucket that starts full: a new source may send a burst at once. */
export function fullBucket(rate: BucketRate, nowMs: number): BucketState {
  return { tokens: rate.burst, at: nowMs };
}

/** Refill for the time elapsed, then take one token if there is one. */
export function take(b: BucketState, rate: BucketRate, nowMs: number): boolean {
  const elapsed = nowMs - b.at;
  if (elapsed > 0) {
    b.tokens = Math.min(rate.burst, b.tokens + (elapsed * rate.perSecond) / 1000);
    b.at = nowMs;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  return false;
}

/** Whether the bucket would be full by now: an idle source, safe to forget. */
export function isFull(b: BucketState, rate: BucketRate, nowMs: number): boolean {
  return b.tokens + ((nowMs - b.at) * rate.perSecond) / 1000 >= rate.burst;
}
