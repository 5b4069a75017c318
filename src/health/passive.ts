/**
 * @module health/passive
 * Passive health checks: live traffic counts too. An INVITE forwarded to a backend that sends no
 * response at all within `inviteTimeout`, or `consecutive503` blamed final responses in a row
 * from it, count as failures toward `fall`. A response is blamed when its code is one of
 * `blameCodes` and the backend generated it itself (./response-origin.ts): a proxy that relays a
 * gateway's 503 is not at fault. A blamed 503 with Retry-After takes the backend out for that long
 * (RFC 3261 §21.5.4). Also counts INVITEs still waiting for a final answer per backend, which a
 * drain waits for.
 */
import { BackendCounts, type BackendCount } from '../balance/backend-counts.js';
import { CallTable, type CallLane, type CallRecord } from '../balance/call-table.js';
import type { Backend } from '../backends/registry.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { HealthMonitor } from './monitor.js';
import { responseOrigin, responseSignature } from './response-origin.js';

export interface PassiveOptions {
  readonly enabled: boolean;
  /** ms without any response to an INVITE before it counts as a failure. */
  readonly inviteTimeoutMs: number;
  /** Consecutive blamed final responses that count as one failure. @default 3 */
  readonly consecutive503: number;
  /** Final response codes that count against the backend that generated them. @default 503 */
  readonly blameCodes: ReadonlySet<number>;
  /** Blame those codes even when the backend only relayed them from downstream. @default false */
  readonly blameRelayed: boolean;
  readonly honorRetryAfter: boolean;
  /** Retry-After values are capped at this (ms). */
  readonly maxRetryAfterMs: number;
}

interface Pending {
  /** The backend's count this INVITE is in (and its id): its answer decrements it without a lookup. */
  readonly count: BackendCount;
  answered: boolean;
}

const NEVER_LATE = (): boolean => false;

export class PassiveChecker {
  #opts: PassiveOptions;
  readonly #monitor: HealthMonitor;
  readonly #now: () => number;
  /** Per call: the INVITE sent for it, timed when sent; lane order is send order, so the sweep stops early. */
  readonly #pending: CallLane<Pending>;
  /** INVITEs pending per backend (each pending INVITE holds its backend's count). */
  readonly #pendingPerBackend = new BackendCounts();
  readonly #consecutive503 = new Map<string, number>();
  /** Backend id → the Server/User-Agent of its own probe replies (response-origin.ts). */
  readonly #signatures = new Map<string, string>();

  /** `calls`: the call table shared with the other per-call concerns (a table of its own if absent). */
  constructor(opts: PassiveOptions, monitor: HealthMonitor, now: () => number, calls: CallTable = new CallTable()) {
    this.#opts = opts;
    this.#monitor = monitor;
    this.#now = now;
    this.#pending = calls.lane();
  }

  setOptions(opts: PassiveOptions): void {
    this.#opts = opts;
  }

  /** An initial INVITE was sent to `backend` (retransmissions keep the first send time). */
  inviteSent(backend: Backend, req: SipRequest): void {
    const callId = req.callId();
    if (this.#pending.has(callId)) return;
    this.#pending.put(callId, { count: this.#pendingPerBackend.add(backend.id), answered: false }, this.#now());
  }

  /** A reply to one of our probes: the backend's own signature, for telling relayed responses apart. */
  probeReply(backendId: string, res: SipResponse): void {
    this.#signatures.set(backendId, responseSignature(res));
  }

  /** The signature learnt from the backend's probe replies ('' = none sent; undefined = not known yet). */
  signatureOf(backendId: string): string | undefined {
    return this.#signatures.get(backendId);
  }

  /** Any response from a backend. */
  response(backend: Backend, res: SipResponse): void {
    const cseq = res.cseq();
    if (cseq.method === 'INVITE') {
      const r = this.#pending.find(res.callId());
      const p = r === undefined ? undefined : this.#pending.value(r);
      if (p !== undefined && p.count.backendId === backend.id) {
        p.answered = true; // any response, even 100 Trying, proves the backend alive
        if (res.status >= 200) this.#forget(r!, p);
      }
    }
    if (!this.#opts.enabled || res.status < 200) return;
    if (!this.#blamed(backend, res)) {
      // Any other final response proves the backend alive and working: the streak restarts
      // (nearly always there is none: no lookup then).
      if (this.#consecutive503.size > 0) this.#consecutive503.delete(backend.id);
      return;
    }
    const retryAfterS = res.status === 503 ? res.retryAfter() : undefined;
    if (this.#opts.honorRetryAfter && retryAfterS !== undefined && retryAfterS > 0) {
      this.#consecutive503.delete(backend.id);
      this.#monitor.retryAfter(backend.id, Math.min(retryAfterS, this.#opts.maxRetryAfterMs / 1000));
      return;
    }
    const n = (this.#consecutive503.get(backend.id) ?? 0) + 1;
    if (n >= this.#opts.consecutive503) {
      this.#consecutive503.delete(backend.id);
      this.#monitor.passive(backend.id, res.status === 503 ? 'status-503' : 'blamed-status');
    } else {
      this.#consecutive503.set(backend.id, n);
    }
  }

  #blamed(backend: Backend, res: SipResponse): boolean {
    if (!this.#opts.blameCodes.has(res.status)) return false;
    return this.#opts.blameRelayed || responseOrigin(res, this.#signatures.get(backend.id)) === 'backend';
  }

  /** Forget an INVITE the caller abandoned (CANCEL answered, serial failover moved it). */
  forget(callId: string): void {
    const r = this.#pending.find(callId);
    if (r !== undefined) this.#forget(r, this.#pending.value(r)!);
  }

  pendingInvites(backendId: string): number {
    return this.#pendingPerBackend.of(backendId);
  }

  /**
   * Expire INVITEs: unanswered past the timeout is a passive failure — unless the node itself was
   * saturated or lost datagrams at any time since the INVITE left (`lateSince(sentAt)`): a node
   * that is overloaded answers late or drops the 100 Trying in its own receive queue, and must not
   * blame its backends for it (which would take every backend down at once, Kamailio's overload
   * failure mode). Coarse tick.
   */
  sweep(lateSince: (sentAt: number) => boolean = NEVER_LATE): void {
    const cutoff = this.#now() - this.#opts.inviteTimeoutMs;
    for (let r = this.#pending.oldest(); r !== undefined && this.#pending.time(r) <= cutoff; r = this.#pending.oldest()) {
      const p = this.#pending.value(r)!;
      const sentAt = this.#pending.time(r);
      this.#forget(r, p);
      if (!p.answered && this.#opts.enabled && !lateSince(sentAt)) this.#monitor.passive(p.count.backendId, 'invite-timeout');
    }
  }

  #forget(r: CallRecord, p: Pending): void {
    this.#pending.clear(r);
    this.#pendingPerBackend.release(p.count);
  }
}
