/**
 * @module proxy/response-address
 * Where a response goes, from a Via value (RFC 3261 §18.2.2 with RFC 3581 §4): to the
 * `received` address if present (else the sent-by host), at the `rport` port if filled in, else
 * the sent-by port, else 5060. `maddr` multicast is not supported.
 */
import type { Via } from '../sip/message.js';
import type { SendTarget, Transport } from '../transport/contract.js';

/** The Via's transport token as siplb names it; a transport siplb does not speak falls back to UDP. */
export function viaTransport(via: Via): Transport {
  switch (via.transport) {
    case 'TCP':
      return 'tcp';
    case 'TLS':
      return 'tls';
    case 'WS':
      return 'ws';
    case 'WSS':
      return 'wss';
    default:
      return 'udp';
  }
}

/** §18.2.2 with RFC 3263 §5: a sent-by without a port means 5061 over TLS, 5060 otherwise. */
export function defaultPort(t: Transport): number {
  return t === 'tls' ? 5061 : t === 'ws' ? 80 : t === 'wss' ? 443 : 5060;
}

/** `connectionId`: the stream connection the request came in on, tried first (§18.2.2). */
export function responseAddress(via: Via, connectionId?: number): SendTarget {
  const transport = viaTransport(via);
  const host = via.received ?? via.host;
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? defaultPort(transport));
  return { transport, host, port, connectionId };
}
