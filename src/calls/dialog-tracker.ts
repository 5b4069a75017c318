/**
 * @module calls/dialog-tracker
 * Active-call accounting from the messages the proxy relays: a dialog counts against a backend
 * from the INVITE's first relayed 2xx (RFC 3261 §13.2.2.4) until it ends, or until it outlives the
 * configured maximum call duration (a BYE that never came). Drain and least-connections read these
 * counts, so they must return to exactly 0 when the calls are over:
 * - A dialog ends when a BYE for it gets a 2xx, a 481 or a 408 (§15.1.1, §12.2.1.2: the UAC then
 *   considers the dialog gone), or gets no final response within the transaction lifetime
 *   (64·T1, §17.1.2.2 Timer F; §15.1.1 "or no response at all"). A BYE answered with any other
 *   failure (404, 403, 500 …) did not reach the far end's dialog: the call goes on and still counts.
 * - After a dialog ended, its Call-ID is remembered for the transaction lifetime: a 2xx the callee
 *   retransmits because the ACK was lost (§13.3.1.4, up to 64·T1) must not count the call again.
 * Counts never go negative (CallLoad).
 */
import type { CallLoad } from '../balance/call-load.js';
import { callIdOf, type CallLane } from '../balance/call-table.js';
import type { Backend } from '../backends/registry.js';
import type { SipRequest, SipResponse } from '../sip/message.js';

/** 64·T1 (RFC 3261 §17.1.2.2 Timer F, §13.3.1.4): how long a BYE waits, and how long an ended call is remembered. */
export const DIALOG_LINGER_MS = 32_000;

export class DialogTracker {
  readonly #load: CallLoad;
  readonly #now: () => number;
  readonly #lingerMs: number;
  /** Lanes of the load's call table. Byes: when the call's first BYE passed; lane order is time order. */
  readonly #byes: CallLane;
  /** When the call ended (its tombstone), at most `maxRemembered`; lane order is time order. */
  readonly #ended: CallLane;

  constructor(load: CallLoad, now: () => number, opts: { lingerMs?: number; maxRemembered?: number } = {}) {
    this.#load = load;
    this.#now = now;
    this.#lingerMs = opts.lingerMs ?? DIALOG_LINGER_MS;
    this.#byes = load.table.lane();
    this.#ended = load.table.lane({ max: opts.maxRemembered ?? 500_000 });
  }

  get load(): CallLoad {
    return this.#load;
  }

  /**
   * A response siplb relays. `backend`: the backend it came from, if it came from one (a 2xx to
   * an INVITE counts there); responses to BYE count whichever side sends them.
   */
  response(backend: Backend | undefined, res: SipResponse): void {
    if (res.status < 200) return;
    const method = res.cseq().method;
    if (method === 'INVITE') {
      if (res.status >= 300 || backend === undefined) return;
      const callId = res.callId();
      if (this.#ended.has(callId)) return; // a 2xx retransmitted after the BYE
      this.#load.established(callId, backend.id, this.#now());
    } else if (method === 'BYE') {
      const callId = res.callId();
      if (res.status < 300 || res.status === 481 || res.status === 408) this.#end(callId);
      else this.#byes.delete(callId); // the BYE failed: the dialog lives on
    }
  }

  request(req: SipRequest): void {
    if (req.method !== 'BYE') return;
    const callId = req.callId();
    // Retransmissions keep the first time; a BYE of a call we never counted is nothing to track.
    if (!this.#byes.has(callId) && this.#load.backendOf(callId) !== undefined) this.#byes.put(callId, undefined, this.#now());
  }

  active(backendId: string): number {
    return this.#load.active(backendId);
  }

  get total(): number {
    return this.#load.size;
  }

  /** BYEs awaiting their final response (for tests and status). */
  get pendingByes(): number {
    return this.#byes.size;
  }

  /** Coarse tick: unanswered BYEs end their calls, old tombstones go, overlong calls expire. */
  expire(): number {
    const now = this.#now();
    const cutoff = now - this.#lingerMs;
    for (let r = this.#byes.oldest(); r !== undefined && this.#byes.time(r) <= cutoff; r = this.#byes.oldest()) this.#end(callIdOf(r));
    for (let r = this.#ended.oldest(); r !== undefined && this.#ended.time(r) <= cutoff; r = this.#ended.oldest()) this.#ended.clear(r);
    return this.#load.expire(now).length;
  }

  #end(callId: string): void {
    const now = this.#now();
    // The tombstone first: the call's record stays (a record no lane holds is removed at once).
    if (this.#load.backendOf(callId) !== undefined && !this.#ended.has(callId)) {
      if (this.#ended.full) {
        const oldest = this.#ended.oldest();
        if (oldest !== undefined) this.#ended.clear(oldest);
      }
      this.#ended.put(callId, undefined, now);
    }
    this.#byes.delete(callId);
    this.#load.ended(callId, now);
  }
}
