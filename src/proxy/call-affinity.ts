/**
 * @module proxy/call-affinity
 * Which backend a call's requests go to before its dialog exists (retransmissions, CANCEL, the
 * ACK of a non-2xx, other requests of the Call-ID), in every balancing mode. Two bounded tables
 * (lanes of the call table, balance/call-table.ts, shared with the other per-call concerns),
 * each with one TTL so expiry stays in insertion order and sweeps cost only what expires:
 * - `ringing`: an INVITE sent and not yet finally answered. A call may ring for minutes and its
 *   CANCEL must still reach the same backend, so the entry lives up to Timer C (RFC 3261 §16.6
 *   step 11: "greater than 3 minutes").
 * - `settled`: after the INVITE's final response, and for other requests, the transaction
 *   lifetime `ttlMs` (64·T1 = 32 s, §17.1.1.2) so the ACK of a non-2xx and late retransmissions
 *   still land there.
 */
import { CallTable, type CallLane } from '../balance/call-table.js';
import type { Affinity } from './context.js';

/** Timer C of RFC 3261 §16.6 step 11 (> 3 min), plus a margin for the caller's last CANCEL. */
export const RINGING_TTL_MS = 185_000;

/**
 * One of the two tables: a lane of the call table whose slot holds the backend and, as its time,
 * when the binding expires. One TTL per lane, so the lane's order is expiry order; when full, the
 * entry refreshed longest ago is evicted (as balance/affinity.ts's AffinityTable does).
 */
class PinLane {
  readonly #lane: CallLane;
  readonly #ttlMs: number;

  constructor(lane: CallLane, ttlMs: number) {
    this.#lane = lane;
    this.#ttlMs = ttlMs;
  }

  get(callId: string, nowMs: number): string | undefined {
    const r = this.#lane.find(callId);
    if (r === undefined) return undefined;
    if (this.#lane.time(r) <= nowMs) {
      this.#lane.clear(r);
      return undefined;
    }
    return this.#lane.value(r);
  }

  set(callId: string, backendId: string, nowMs: number): void {
    if (this.#lane.full && !this.#lane.has(callId)) {
      const oldest = this.#lane.oldest();
      if (oldest !== undefined) this.#lane.clear(oldest);
    }
    this.#lane.put(callId, backendId, nowMs + this.#ttlMs);
  }

  delete(callId: string): void {
    this.#lane.delete(callId);
  }

  sweep(nowMs: number): void {
    for (let r = this.#lane.oldest(); r !== undefined && this.#lane.time(r) <= nowMs; r = this.#lane.oldest()) this.#lane.clear(r);
  }

  get size(): number {
    return this.#lane.size;
  }
}

export class CallAffinity implements Affinity {
  readonly #ringing: PinLane;
  readonly #settled: PinLane;

  /** `calls`: the call table shared with the other per-call concerns (a table of its own if absent). */
  constructor(opts: { ttlMs: number; maxEntries: number; calls?: CallTable }) {
    const calls = opts.calls ?? new CallTable();
    const max = Math.max(1, opts.maxEntries);
    this.#ringing = new PinLane(calls.lane({ max }), RINGING_TTL_MS);
    this.#settled = new PinLane(calls.lane({ max }), opts.ttlMs);
  }

  get(callId: string, nowMs: number): string | undefined {
    return this.#ringing.get(callId, nowMs) ?? this.#settled.get(callId, nowMs);
  }

  pin(callId: string, backendId: string, nowMs: number, ringingInvite: boolean): void {
    if (ringingInvite) this.#ringing.set(callId, backendId, nowMs);
    else this.#settled.set(callId, backendId, nowMs);
  }

  /** The INVITE got its final response: keep the binding for the transaction lifetime only. */
  settle(callId: string, nowMs: number): void {
    const backendId = this.#ringing.get(callId, nowMs);
    if (backendId === undefined) return;
    // Settled first: the call's record stays (a record no lane holds is removed at once).
    this.#settled.set(callId, backendId, nowMs);
    this.#ringing.delete(callId);
  }

  /** Drop the pin of `callId` (its backend is no longer eligible, ./pin-rule.ts). */
  forget(callId: string): void {
    this.#ringing.delete(callId);
    this.#settled.delete(callId);
  }

  sweep(nowMs: number): void {
    this.#ringing.sweep(nowMs);
    this.#settled.sweep(nowMs);
  }

  get size(): number {
    return this.#ringing.size + this.#settled.size;
  }
}
