/**
 * @module proxy/pin-rule
 * Whether a Call-ID pin (./call-affinity.ts) still decides where a request goes. A pin exists so
 * that the requests of one transaction (retransmissions, the CANCEL of an INVITE, the ACK of its
 * non-2xx final response) meet the server transaction they belong to (RFC 3261 §9.1, §17.1.1.3).
 * A request that starts a new transaction (REGISTER, MESSAGE, SUBSCRIBE, OPTIONS, INVITE …) only
 * shares the Call-ID: no server transaction at the pinned backend waits for it, so when that
 * backend is no longer eligible (down, disabled, draining) the pin is dropped and the request is
 * balanced afresh. Devices that keep one Call-ID for every keep-alive or REGISTER refresh
 * (§10.2.4 recommends it for REGISTER) would otherwise follow a dead backend until the pin expired.
 * In-dialog requests with a Route never get here: they follow their route (route-decision.ts).
 * Pure.
 */

/** CANCEL and ACK belong to the INVITE transaction at the pinned backend; nothing else does. */
export function followsPin(method: string, backendEligible: boolean): boolean {
  return backendEligible || method === 'ACK' || method === 'CANCEL';
}
