/**
 * @module calls/dialog-tracker
 * Active-call accounting from the messages the proxy relays: a dialog counts against a backend
 * from the INVITE's first 2xx (RFC 3261 §13.2.2.4) until a BYE for it passes in either direction
 * (§15), or until it outlives the configured maximum call duration (a BYE that never came).
 * Drain and least-connections read these counts. Counts never go negative (CallLoad).
 */
import type { CallLoad } from '../balance/call-load.js';
import type { Backend } from '../backends/registry.js';
import type { SipRequest, SipResponse } from '../sip/message.js';

export class DialogTracker {
  readonly #load: CallLoad;
  readonly #now: () => number;

  constructor(load: CallLoad, now: () => number) {
    this.#load = load;
    this.#now = now;
  }

  get load(): CallLoad {
    return this.#load;
  }

  response(backend: Backend, res: SipResponse): void {
    if (res.status >= 200 && res.status < 300 && res.cseq().method === 'INVITE') {
      this.#load.established(res.callId(), backend.id, this.#now());
    }
  }

  request(req: SipRequest): void {
    if (req.method === 'BYE') this.#load.ended(req.callId(), this.#now());
  }

  active(backendId: string): number {
    return this.#load.active(backendId);
  }

  get total(): number {
    return this.#load.size;
  }

  expire(): number {
    return this.#load.expire(this.#now()).length;
  }
}
