/**
 * @module config/backend-entries
 * The three kinds of `backends[]` entry: a fixed `address`, a DNS `host` (A/AAAA) and an SRV
 * name (RFC 2782). After validation the list is split in two: fixed backends, which the node
 * uses as they are, and DNS backends, which src/dns resolves into members. Also the syntax of
 * SRV names and DNS server addresses. Pure.
 */
import { isIPv4, isIPv6, parseAddress } from './address.js';
import type { Address } from './address.js';
import type { ConfigBody } from './schema.js';

export type BackendTransportName = 'udp' | 'tcp' | 'tls';
type Entry = ConfigBody['backends'][number];
type BackendHealth = Entry['health'];

/** A backend at a fixed address: what the running node balances over. */
export interface FixedBackendConfig {
  readonly id: string;
  readonly address: Address;
  readonly acceptsTcp: boolean;
  readonly transport: BackendTransportName;
  readonly weight: number;
  readonly priority: number;
  readonly health: BackendHealth;
}

/** A backend entry whose members come from DNS. */
export type DnsBackendConfig =
  | {
      readonly kind: 'srv';
      /** Prefix of the member ids: the configured id, or the SRV name. */
      readonly id: string;
      readonly name: string;
      readonly transport: BackendTransportName;
      readonly health: BackendHealth;
    }
  | {
      readonly kind: 'host';
      readonly id: string;
      readonly host: string;
      readonly port: number;
      readonly acceptsTcp: boolean;
      readonly transport: BackendTransportName;
      readonly weight: number;
      readonly priority: number;
      readonly health: BackendHealth;
    };

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

/** After validation: the fixed backends in `backends`, the DNS ones in `dnsBackends`. */
export function splitBackends<B extends ConfigBody>(body: B): Omit<B, 'backends'> & { backends: FixedBackendConfig[]; dnsBackends: DnsBackendConfig[] } {
  const fixed: FixedBackendConfig[] = [];
  const dns: DnsBackendConfig[] = [];
  for (const e of body.backends) {
    const transport = e.transport ?? 'udp';
    if (e.address !== undefined) {
      fixed.push({ id: e.id ?? '', address: e.address, acceptsTcp: e.acceptsTcp, transport, weight: e.weight ?? 1, priority: e.priority ?? 0, health: e.health });
    } else if (e.host !== undefined) {
      dns.push({ kind: 'host', id: e.id ?? e.host, host: e.host, port: e.port ?? defaultPort(transport), acceptsTcp: e.acceptsTcp, transport, weight: e.weight ?? 1, priority: e.priority ?? 0, health: e.health });
    } else if (e.srv !== undefined) {
      const implied = parseSrvName(e.srv)?.transport ?? 'udp';
      dns.push({ kind: 'srv', id: e.id ?? e.srv, name: e.srv, transport: implied, health: e.health });
    }
  }
  return { ...body, backends: fixed, dnsBackends: dns };
}
