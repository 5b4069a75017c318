/**
 * @module proxy/call-affinity
 * Which backend a call's requests go to before its dialog exists (retransmissions, CANCEL, the
 * ACK of a non-2xx, other requests of the Call-ID), in every balancing mode. Two bounded tables,
 * each with one TTL so expiry stays in insertion order and sweeps cost only what expires:
 * - `ringing`: an INVITE sent and not yet finally answered. A call may ring for minutes and its
 *   CANCEL must still reach the same backend, so the entry lives up to Timer C (RFC 3261 §16.6
 *   step 11: "greater than 3 minutes").
 * - `settled`: after the INVITE's final response, and for other requests, the transaction
 *   lifetime `ttlMs` (64·T1 = 32 s, §17.1.1.2) so the ACK of a non-2xx and late retransmissions
 *   still land there.
 */
import { AffinityTable } from '../balance/affinity.js';
import type { Affinity } from './context.js';

/** Timer C of RFC 3261 §16.6 step 11 (> 3 min), plus a margin for the caller's last CANCEL. */
export const RINGING_TTL_MS = 185_000;

export class CallAffinity implements Affinity {
  readonly #ringing: AffinityTable;
  readonly #settled: AffinityTable;

  constructor(opts: { ttlMs: number; maxEntries: number }) {
    this.#ringing = new AffinityTable({ ttlMs: RINGING_TTL_MS, maxEntries: opts.maxEntries });
    this.#settled = new AffinityTable({ ttlMs: opts.ttlMs, maxEntries: opts.maxEntries });
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
    this.#ringing.delete(callId);
    this.#settled.set(callId, backendId, nowMs);
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
