/**
 * @module transport/listen-server
 * What every stream listener (TCP, TLS, WebSocket) does alike: bind its server, turning a bind
 * failure into SIPLB_ERR_BIND and a later server error into a report (a node must not crash on
 * EMFILE at accept), and name a peer by the address its socket reports.
 */
import type net from 'node:net';
import { SiplbError } from '../errors.js';
import { addressKey, type HostPort } from './address.js';

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) → `192.0.2.1`, so lookups by address match. */
export function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && /^\d+\.\d+\.\d+\.\d+$/.test(a.slice(7)) ? a.slice(7) : a;
}

/** `address:port` of a socket's peer, as the connection table keys it. */
export function peerKey(s: net.Socket): string {
  return addressKey(plainAddress(s.remoteAddress), s.remotePort ?? 0);
}

/** Listen on `at`; resolves with the bound address. `label`: TCP, TLS, WS, WSS (in the error). */
export async function listenOn(server: net.Server, at: HostPort, label: string, onLaterError: (err: Error) => void): Promise<HostPort> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new SiplbError('SIPLB_ERR_BIND', `cannot listen on ${label} ${addressKey(at.host, at.port)}: ${err.message} (check sip.listen)`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: at.host, port: at.port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', onLaterError);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return { host: a.address, port: a.port };
}
