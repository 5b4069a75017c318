/**
 * @module transport/lookup
 * Name resolution for UDP sends, shared by both engines (udp.ts on node:dgram, udp-native.ts).
 */
import dns from 'node:dns';
import net from 'node:net';
import { isNumericDomain } from '../sip/host.js';

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every send through `lookup` (dns.lookup by default), which
 * even for an IP literal costs a closure, a nextTick and a DNS-module round. Nearly every send of
 * a proxy goes to an IP literal (backends, Via `received`), so answer those synchronously and
 * resolve only real hostnames.
 */
export function fastLookup(address: string, family: number | dns.LookupOneOptions, callback: LookupCallback): void {
  const v = net.isIP(address);
  if (v !== 0) {
    callback(null, address, v);
    return;
  }
  // getaddrinfo reads "3402000000" (a GB/T 28181 domain ID) as the IPv4 number 202.198.102.128:
  // such a name is never handed to it (sip/host.ts), the send fails as unresolvable instead.
  if (isNumericDomain(address)) {
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${address} (numeric domain, not an address)`);
    err.code = 'ENOTFOUND';
    process.nextTick(callback, err, '', 0);
    return;
  }
  dns.lookup(address, typeof family === 'number' ? { family } : family, callback);
}
