/**
 * @module dns/members
 * From DNS answers to backend definitions, and from the fixed backends plus the members of every
 * DNS entry to the backend list the node runs with. Pure: no resolver, no timers, no logger.
 *
 * Member ids are readable and stable: `<id>/<target>:<port>` for an SRV target (`<id>` being the
 * configured id or the SRV name), the configured id for a host with one address, and `<id>/<ip>`
 * (or `<target>:<port>/<ip>`) when a name has several addresses. The same answer in any order
 * (DNS servers rotate records) gives the same list in the same order, so a re-resolution that
 * returns the same set changes nothing, and a member that stays keeps its id and therefore its
 * points on the hash ring.
 */
import type { DnsBackendConfig, FixedBackendConfig } from '../config/schema.js';
import { isNumericDomain } from '../sip/host.js';

/** One SRV record (RFC 2782) with the addresses its target resolved to. */
export interface SrvTarget {
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
  readonly addresses: readonly string[];
}

/** What one DNS entry resolved to: SRV targets, or the addresses of a host name. */
export type DnsAnswer =
  | { readonly kind: 'srv'; readonly targets: readonly SrvTarget[]; readonly ttlSeconds: number }
  | { readonly kind: 'host'; readonly addresses: readonly string[]; readonly ttlSeconds: number };

/** Largest backend weight (backends[].weight is 1..100). */
const MAX_WEIGHT = 100;

/**
 * SRV weight (0..65535, RFC 2782) → ring weight (1..100). Weights up to 100 are kept; larger sets
 * are scaled so the largest is 100. Weight 0 ("very small chance", RFC 2782) becomes 1, the
 * smallest share the ring has.
 */
export function ringWeight(weight: number, largest: number): number {
  const scaled = largest > MAX_WEIGHT ? Math.round((weight * MAX_WEIGHT) / largest) : weight;
  return Math.min(MAX_WEIGHT, Math.max(1, scaled));
}

/** Re-resolution delay: the record's TTL, clamped to [minMs, maxMs]. */
export function refreshDelayMs(ttlSeconds: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(minMs, Math.round(ttlSeconds * 1000)));
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const uniqueSorted = (xs: readonly string[]): string[] => [...new Set(xs)].sort(byText);
/** A trailing dot (absolute name) is dropped, and case ignored (RFC 4343). */
const normalName = (n: string): string => (n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();

/** The backends one DNS entry stands for, given its answer. */
export function membersOf(entry: DnsBackendConfig, answer: DnsAnswer): FixedBackendConfig[] {
  // SRV records name one transport per service; only a host entry can say its backend also takes TCP.
  const base = { transport: entry.transport, acceptsTcp: entry.kind === 'host' ? entry.acceptsTcp : entry.transport === 'tcp', health: entry.health };
  if (entry.kind === 'host') {
    if (answer.kind !== 'host') return [];
    const addrs = uniqueSorted(answer.addresses);
    return addrs.map((ip) => ({
      ...base,
      id: addrs.length === 1 ? entry.id : `${entry.id}/${ip}`,
      address: { host: ip, port: entry.port },
      weight: entry.weight,
      priority: entry.priority,
    }));
  }
  if (answer.kind !== 'srv') return [];
  // RFC 2782: a target of "." means the service is decidedly not available at this domain.
  const targets = answer.targets.filter((t) => normalName(t.target) !== '' && !isNumericDomain(normalName(t.target)));
  const largest = Math.max(0, ...targets.map((t) => t.weight));
  const out: FixedBackendConfig[] = [];
  const sorted = [...targets].sort((a, b) => a.priority - b.priority || byText(normalName(a.target), normalName(b.target)) || a.port - b.port);
  for (const t of sorted) {
    const addrs = uniqueSorted(t.addresses);
    const name = `${entry.id}/${normalName(t.target)}:${t.port}`;
    for (const ip of addrs) {
      out.push({
        ...base,
        id: addrs.length === 1 ? name : `${name}/${ip}`,
        address: { host: ip, port: t.port },
        weight: ringWeight(t.weight, largest),
        priority: t.priority,
      });
    }
  }
  return out;
}

const addressText = (b: FixedBackendConfig): string => `${b.address.host.toLowerCase()}|${b.address.port}`;

/**
 * The backend list the node runs with: the fixed backends, then the members of each DNS entry in
 * configuration order. An entry absent from `members` (never resolved yet) contributes nothing. A
 * member at the address of an earlier backend is left out (one address is one backend: responses
 * are attributed by source address) and reported in `shadowed`.
 */
export function backendList(
  fixed: readonly FixedBackendConfig[],
  entries: readonly DnsBackendConfig[],
  members: ReadonlyMap<string, readonly FixedBackendConfig[]>,
): { backends: FixedBackendConfig[]; shadowed: string[] } {
  const seen = new Set(fixed.map(addressText));
  const ids = new Set(fixed.map((b) => b.id));
  const backends = [...fixed];
  const shadowed: string[] = [];
  for (const e of entries) {
    for (const m of members.get(e.id) ?? []) {
      const key = addressText(m);
      if (seen.has(key) || ids.has(m.id)) {
        shadowed.push(m.id);
        continue;
      }
      seen.add(key);
      ids.add(m.id);
      backends.push(m);
    }
  }
  return { backends, shadowed };
}

/** Whether two backend lists are the same (same order, ids, addresses, weights, tiers, transports). */
export function sameBackends(a: readonly FixedBackendConfig[], b: readonly FixedBackendConfig[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return y !== undefined && x.id === y.id && addressText(x) === addressText(y) && x.weight === y.weight && x.priority === y.priority && x.transport === y.transport && x.health === y.health;
  });
}
