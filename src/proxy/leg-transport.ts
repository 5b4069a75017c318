/**
 * @module proxy/leg-transport
 * The transport of the outgoing leg, decided per request (RFC 3261 §18.1.1): a request that would
 * leave over UDP larger than `udpMtu` bytes goes over TCP instead when the next hop is a backend
 * that accepts TCP at the same address (`backends[].acceptsTcp`); otherwise it leaves as its
 * target says, over UDP if need be (IP fragments it). A request that came in over a stream may go
 * to a UDP backend when it is small. A `sips:` Request-URI never leaves over a leg that is not
 * secure (RFC 3261 §26.2.2, RFC 5630 §3.1.3): that is the caller's answer, not a downgrade.
 */
import type { Backend } from '../backends/registry.js';
import { isSecure, type SendTarget } from '../transport/contract.js';

export type LegChoice = { readonly kind: 'send'; readonly to: SendTarget } | { readonly kind: 'insecure' };

/**
 * `size`: the forwarded message's length over `to`; `udpMtu` 0 turns the switch off.
 * The switch allocates only when it fires (rare: a large SDP), never on the common path.
 */
export function chooseLeg(to: SendTarget, backend: Backend | undefined, size: number, udpMtu: number, sipsRequestUri: boolean): LegChoice | undefined {
  if (to.transport === 'udp' && udpMtu > 0 && size > udpMtu && backend?.acceptsTcp === true) {
    return { kind: 'send', to: { transport: 'tcp', host: to.host, port: to.port } };
  }
  if (sipsRequestUri && !isSecure(to.transport)) return { kind: 'insecure' };
  return undefined;
}
