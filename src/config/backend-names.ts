/**
 * @module config/backend-names
 * The syntax of the names a `backends[]` entry or `dns.servers` may hold: SRV names (RFC 2782,
 * RFC 3263 §4.1) and DNS server addresses. Pure; the body schema checks entries with it, and
 * ./backend-entries.ts splits the validated list.
 */
import { isIPv4, isIPv6, parseAddress } from './address.js';
import type { Address } from './address.js';

export type BackendTransportName = 'udp' | 'tcp' | 'tls';

/**
 * RFC 3263 §4.1: SIP over UDP is `_sip._udp`, over TCP `_sip._tcp`, over TLS `_sips._tcp`.
 * Returns the transport the name implies and the domain, or undefined when it is not one of them.
 */
export function parseSrvName(name: string): { transport: BackendTransportName; domain: string } | undefined {
  const m = /^_(sips?)\._(udp|tcp)\.(.+)$/i.exec(name);
  if (m === null) return undefined;
  const domain = m[3] ?? '';
  const labels = (domain.endsWith('.') ? domain.slice(0, -1) : domain).split('.');
  if (domain.length > 240 || !labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return undefined;
  if (labels.every((l) => /^\d+$/.test(l))) return undefined; // a numeric domain is no DNS name (sip/host.ts)
  const sips = m[1]?.toLowerCase() === 'sips';
  const proto = m[2]?.toLowerCase();
  if (sips && proto === 'udp') return undefined; // no SIP over TLS over UDP
  return { transport: sips ? 'tls' : proto === 'tcp' ? 'tcp' : 'udp', domain };
}

/** `10.0.0.53`, `10.0.0.53:5353`, `2001:db8::53` or `[2001:db8::53]:5353`; port 53 when omitted. */
export function parseDnsServer(text: string): Address | undefined {
  const s = text.trim();
  if (isIPv4(s) || isIPv6(s)) return { host: s, port: 53 };
  const r = parseAddress(s);
  if (!r.ok || !(isIPv4(r.address.host) || isIPv6(r.address.host))) return undefined;
  return r.address;
}

/** Default port of a host backend (RFC 3263 §4.2: 5060, or 5061 for TLS). */
export function defaultPort(transport: BackendTransportName): number {
  return transport === 'tls' ? 5061 : 5060;
}
