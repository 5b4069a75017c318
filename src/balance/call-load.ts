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
 * The calls live in a lane of the call table (./call-table.ts) shared with affinity and the dialog
 * tracker: one record per Call-ID for all of them.
 *
 * Pure: callers pass a monotonic `nowMs` that never decreases across calls; no timers here.
 */

import { BackendCounts, type BackendCount } from './backend-counts.js';
import { CallTable, callIdOf, type CallLane } from './call-table.js';
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

export class CallLoad implements CallLoadView {
  readonly #maxCallDurationMs: number;
  readonly #table: CallTable;
  /** Slot: the backend; time: since when it is counted. Lane order is age order since `nowMs` never decreases. */
  readonly #calls: CallLane<BackendCount>;
  /** Calls per backend: every call's slot holds its backend's count, so ending a call needs no lookup. */
  readonly #active = new BackendCounts();
  #refused = 0;

  /** `calls`: the call table shared with the other per-call concerns (a table of its own if absent). */
  constructor(opts: CallLoadOptions = {}, calls: CallTable = new CallTable()) {
    this.#maxCallDurationMs = opts.maxCallDurationMs ?? DEFAULT_CALL_LOAD_OPTIONS.maxCallDurationMs;
    this.#table = calls;
    this.#calls = calls.lane({ max: opts.maxEntries ?? DEFAULT_CALL_LOAD_OPTIONS.maxEntries });
  }

  /** The call table this load lives on (the dialog tracker keeps its own lanes there). */
  get table(): CallTable {
    return this.#table;
  }

  /**
   * Count `callId` against `backendId`. A call already counted is left as it is (the first 2xx
   * wins, and its age is not reset by retransmissions).
   * @returns true when the call is counted (now or already); false when the table is full and
   *   the call was refused (see {@link refused})
   */
  established(callId: string, backendId: string, nowMs: number): boolean {
    if (this.#calls.has(callId)) return true;
    if (this.#calls.full) {
      this.#refused++;
      return false;
    }
    this.#calls.put(callId, this.#active.add(backendId), nowMs);
    return true;
  }

  /**
   * Stop counting `callId`. Repeats and unknown Call-IDs are no-ops.
   * @returns true when the call was counted until now
   */
  ended(callId: string, _nowMs: number): boolean {
    const r = this.#calls.find(callId);
    if (r === undefined) return false;
    const count = this.#calls.value(r)!;
    this.#calls.clear(r);
    this.#active.release(count);
    return true;
  }

  /** Calls currently counted against `backendId` (0 for unknown ids). */
  active(backendId: string): number {
    return this.#active.of(backendId);
  }

  /** The backend a counted call runs on. */
  backendOf(callId: string): string | undefined {
    const r = this.#calls.find(callId);
    return r === undefined ? undefined : this.#calls.value(r)?.backendId;
  }

  /**
   * Forget calls established more than `maxCallDurationMs` before `nowMs`.
   * Stops at the first younger entry, so the cost is proportional to what expires.
   * @returns the Call-IDs removed, oldest first
   */
  expire(nowMs: number): string[] {
    const removed: string[] = [];
    const cutoff = nowMs - this.#maxCallDurationMs;
    for (let r = this.#calls.oldest(); r !== undefined && this.#calls.time(r) < cutoff; r = this.#calls.oldest()) {
      const count = this.#calls.value(r)!;
      this.#calls.clear(r);
      this.#active.release(count);
      removed.push(callIdOf(r));
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
}
