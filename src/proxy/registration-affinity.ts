/**
 * @module proxy/registration-affinity
 * Registration-aware affinity (`balance.failback: hold-registrations`). A registrar knows a device
 * only after its REGISTER (RFC 3261 §10.3); a second registrar that never saw it answers its
 * requests with "not registered". So once a REGISTER's 2xx says which backend holds an AOR and
 * until when (registered-users.ts), the requests tied to that AOR go there while it is eligible:
 * - its REGISTER refreshes (To = the AOR, §10.2);
 * - the device's own requests, e.g. GB/T 28181 keep-alive MESSAGEs (From = the AOR);
 * - requests to the AOR (Request-URI user) when balance.hashKey.registered keys on the user.
 * When the holder is not eligible the request is balanced afresh; the REGISTER that then succeeds
 * elsewhere moves the AOR. A backend coming back therefore gets its devices back only as their
 * registrations expire or are refreshed elsewhere, not at once (`immediate`: the ring decides).
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { registrationSeconds } from '../sip/registration-expiry.js';
import type { RegisteredUsers } from './registered-users.js';

export type Failback = 'hold-registrations' | 'immediate';

export class RegistrationAffinity {
  readonly #users: RegisteredUsers;
  readonly #failback: Failback;
  readonly #byRequestUri: boolean;

  /**
   * Holders are learnt whatever `failback` says (a reload to hold-registrations then finds them);
   * they route requests only with `hold-registrations`.
   * @param byRequestUri also route requests whose Request-URI user is a held AOR.
   */
  constructor(users: RegisteredUsers, failback: Failback, byRequestUri: boolean) {
    this.#users = users;
    this.#failback = failback;
    this.#byRequestUri = byRequestUri;
  }

  /** The backend id that holds the AOR this request belongs to, if any is known and unexpired. */
  holderFor(req: SipRequest, nowMs: number): string | undefined {
    // No AOR held anywhere (a node that relays calls only): nothing to find, and From is not decoded.
    if (this.#failback === 'immediate' || this.#users.heldSize === 0) return undefined;
    if (req.method === 'REGISTER') {
      const aor = req.to().uri?.user;
      return aor === undefined ? undefined : this.#users.holder(aor, nowMs);
    }
    const fromUser = req.from().uri?.user;
    const own = fromUser === undefined ? undefined : this.#users.holder(fromUser, nowMs);
    if (own !== undefined || !this.#byRequestUri) return own;
    const ruriUser = req.requestUri()?.user;
    return ruriUser === undefined ? undefined : this.#users.holder(ruriUser, nowMs);
  }

  /** A REGISTER's 2xx from `backendId` is being relayed: learn (or forget) where its AOR is bound. */
  learn(res: SipResponse, backendId: string, nowMs: number): void {
    const aor = res.to().uri?.user;
    if (aor === undefined) return;
    const seconds = registrationSeconds(res);
    if (seconds === 0) this.#users.release(aor);
    else this.#users.hold(aor, backendId, nowMs + seconds * 1000);
  }
}
