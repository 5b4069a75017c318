/**
 * @module ha/rate-limited-log
 * Warnings about an outage that repeats every few milliseconds (ioredis reports each failed
 * reconnect) without flooding the log: per topic, the first failure is logged at once, later
 * ones at most once per `intervalMs` with the count of those left out, and the first success
 * after a failure is logged once at info.
 */
import type { Logger } from 'pino';

interface Topic {
  lastLoggedAt: number;
  suppressed: number;
  failing: boolean;
}

export class RateLimitedLog {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #topics = new Map<string, Topic>();

  /** @param intervalMs least time between two warnings of one topic. @default 10000 */
  constructor(log: Logger, intervalMs = 10_000, now: () => number = Date.now) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** A failure of `topic`: logged at warn unless one was logged less than intervalMs ago. */
  failure(topic: string, obj: Record<string, unknown>, msg: string): void {
    const t = this.#now();
    let s = this.#topics.get(topic);
    if (!s) {
      s = { lastLoggedAt: -Infinity, suppressed: 0, failing: false };
      this.#topics.set(topic, s);
    }
    s.failing = true;
    if (t - s.lastLoggedAt < this.#intervalMs) {
      s.suppressed += 1;
      return;
    }
    this.#log.warn({ ...obj, topic, ...(s.suppressed > 0 ? { suppressed: s.suppressed } : {}) }, msg);
    s.lastLoggedAt = t;
    s.suppressed = 0;
  }

  /** A success of `topic`: logged once at info when the topic was failing. */
  success(topic: string, obj: Record<string, unknown>, msg: string): void {
    const s = this.#topics.get(topic);
    if (!s?.failing) return;
    this.#log.info({ ...obj, topic, ...(s.suppressed > 0 ? { suppressed: s.suppressed } : {}) }, msg);
    this.#topics.delete(topic);
  }
}
