/**
 * @module balance/call-load
 * Active-call accounting for the least-connections balancer and for draining: which backend
 * each established call runs on, and how many calls each backend carries.
 *
 * A call is counted from its first 2xx to the INVITE (`established`) until its BYE
 * (`ended`) or until it is older than `maxCallDurationMs` (`expire`), the safety net for BYEs we
 * never see (Kamailio's ds_ht CONFIRMED entries with ds_hash_expire). Both inputs are idempotent,
 * because a UAS retransmits its 2xx until it gets an ACK (RFC 3261 §13.3.1.4) and a UAC
 * retransmits BYE until it gets a final response (§17.1.2): counts never double and never go
 * negative. The table is bounded: when full, new calls are refused and counted, never evicting
 * a live call silently.
 *
 * Memory: about 135 bytes per call with 40-character Call-IDs, key included
 * (bench/micro/balance-affinity-mem.mjs); 100 000 calls ≈ 13.5 MB.
 *
 * Pure: callers pass a monotonic `nowMs` that never decreases across calls; no timers here.
 */

import type { CallLoadView } from './least-conn.js';

export { AffinityTable, DEFAULT_AFFINITY_OPTIONS, type AffinityOptions } from './affinity.js';

export interface CallLoadOptions {
  /** Calls tracked at most; further calls are refused (and counted). @default 100000 */
  readonly maxEntries?: number;
  /**
   * A call older than this is assumed ended (its BYE was lost or went around us).
   * @default 7200000 (2 h, as Kamailio's ds_hash_expire)
   */
  readonly maxCallDurationMs?: number;
}

export const DEFAULT_CALL_LOAD_OPTIONS: Required<CallLoadOptions> = Object.freeze({
  maxEntries: 100_000,
  maxCallDurationMs: 2 * 60 * 60 * 1000,
});

interface CallEntry {
  readonly backendId: string;
  readonly sinceMs: number;
}

export class CallLoad implements CallLoadView {
  readonly #maxEntries: number;
  readonly #maxCallDurationMs: number;
  /** Call-ID → entry, in insertion order, which is age order since `nowMs` never decreases. */
  readonly #calls = new Map<string, CallEntry>();
  readonly #active = new Map<string, number>();
  #refused = 0;

  constructor(opts: CallLoadOptions = {}) {
    this.#maxEntries = opts.maxEntries ?? DEFAULT_CALL_LOAD_OPTIONS.maxEntries;
    this.#maxCallDurationMs = opts.maxCallDurationMs ?? DEFAULT_CALL_LOAD_OPTIONS.maxCallDurationMs;
  }

  /**
   * Count `callId` against `backendId`. A call already counted is left as it is (the first 2xx
   * wins, and its age is not reset by retransmissions).
   * @returns true when the call is counted (now or already); false when the table is full and
   *   the call was refused (see {@link refused})
   */
  established(callId: string, backendId: string, nowMs: number): boolean {
    if (this.#calls.has(callId)) return true;
    if (this.#calls.size >= this.#maxEntries) {
      this.#refused++;
      return false;
    }
    this.#calls.set(callId, { backendId, sinceMs: nowMs });
    this.#active.set(backendId, (this.#active.get(backendId) ?? 0) + 1);
    return true;
  }

  /**
   * Stop counting `callId`. Repeats and unknown Call-IDs are no-ops.
   * @returns true when the call was counted until now
   */
  ended(callId: string, _nowMs: number): boolean {
    const e = this.#calls.get(callId);
    if (e === undefined) return false;
    this.#calls.delete(callId);
    this.#release(e.backendId);
    return true;
  }

  /** Calls currently counted against `backendId` (0 for unknown ids). */
  active(backendId: string): number {
    return this.#active.get(backendId) ?? 0;
  }

  /** The backend a counted call runs on. */
  backendOf(callId: string): string | undefined {
    return this.#calls.get(callId)?.backendId;
  }

  /**
   * Forget calls established more than `maxCallDurationMs` before `nowMs`.
   * Stops at the first younger entry, so the cost is proportional to what expires.
   * @returns the Call-IDs removed, oldest first
   */
  expire(nowMs: number): string[] {
    const removed: string[] = [];
    const cutoff = nowMs - this.#maxCallDurationMs;
    for (const [callId, e] of this.#calls) {
      if (e.sinceMs >= cutoff) break;
      this.#calls.delete(callId); // deleting the current entry while iterating a Map is safe
      this.#release(e.backendId);
      removed.push(callId);
    }
    return removed;
  }

  /** Calls counted. */
  get size(): number {
    return this.#calls.size;
  }

  /** Calls refused because the table was full, since construction. */
  get refused(): number {
    return this.#refused;
  }

  #release(backendId: string): void {
    const n = (this.#active.get(backendId) ?? 0) - 1;
    // Delete at zero so the per-backend map holds only backends with calls.
    if (n > 0) this.#active.set(backendId, n);
    else this.#active.delete(backendId);
  }
}
