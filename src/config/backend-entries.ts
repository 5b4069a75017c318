/**
 * @module config/backend-entries
 * The three kinds of `backends[]` entry: a fixed `address`, a DNS `host` (A/AAAA) and an SRV
 * name (RFC 2782). After validation the list is split in two: fixed backends, which the node
 * uses as they are, and DNS backends, which src/dns resolves into members. Pure; the syntax of
 * SRV names and DNS server addresses is in ./backend-names.ts.
 */
import type { Address } from './address.js';
import type { ConfigBody } from './body-schema.js';
import { defaultPort, parseSrvName, type BackendTransportName } from './backend-names.js';

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
