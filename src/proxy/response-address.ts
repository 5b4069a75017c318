/**
 * @module proxy/response-address
 * Where a response goes over UDP, from a Via value (RFC 3261 §18.2.2 with RFC 3581 §4): to the
 * `received` address if present (else the sent-by host), at the `rport` port if filled in, else
 * the sent-by port, else 5060. `maddr` multicast is not supported.
 */
import type { Via } from '../sip/message.js';
import type { HostPort } from '../transport/address.js';

export function responseAddress(via: Via): HostPort {
  const host = via.received ?? via.host;
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? 5060);
  return { host, port };
}
