/**
 * @module config/duration
 * Durations as operators write them ("500ms", "2s", "1m30s", "2h", or a bare number of
 * milliseconds) and their normal form: an integer number of milliseconds. Pure.
 */

/** Integer milliseconds: the one unit every duration has after validation. */
export type Milliseconds = number;

/**
 * Largest delay a Node timer honours. Above 2^31-1 ms, `setTimeout` warns and fires after 1 ms,
 * so a "30d" typo would become a busy loop; the schema rejects such values instead.
 */
export const MAX_TIMER_MS: Milliseconds = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Parses "500ms", "2s", "1.5s", "1m", "1m30s", "2h" to integer milliseconds.
 * Returns undefined for anything else, including a bare "500" (the unit is required in a string)
 * and values that are not a whole number of milliseconds ("1.5ms").
 */
export function parseDuration(text: string): Milliseconds | undefined {
  const s = text.trim();
  if (!WHOLE.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(PART)) {
    const unit = m[2] as keyof typeof UNIT_MS;
    total += Number(m[1]) * UNIT_MS[unit];
  }
  // "1.1s" is 1100.0000000000002 in binary floating point: round, but only by float noise.
  const rounded = Math.round(total);
  return Math.abs(total - rounded) < 1e-6 ? rounded : undefined;
}

/** Formats milliseconds the way an operator would write them: 2000 → "2s", 1500 → "1500ms". */
export function formatDuration(ms: Milliseconds): string {
  if (ms !== 0 && ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms !== 0 && ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  if (ms !== 0 && ms % UNIT_MS.s === 0) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}
