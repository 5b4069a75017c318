/**
 * @module dns/resolver
 * The one adapter that talks to DNS: node:dns's c-ares Resolver (not getaddrinfo), pointed at
 * dns.servers with setServers (ports allowed) or left on the system's resolv.conf servers.
 *
 * TTLs: node:dns returns them for A and AAAA (`{ ttl: true }`) but not for SRV (resolveSrv has no
 * TTL option). Rather than add a DNS packet library for one number, an SRV answer's TTL is the
 * smallest TTL of its targets' A/AAAA records, which are asked on every refresh anyway, clamped to
 * dns.minTtl..dns.maxTtl by the caller: a changed SRV record set is then seen within maxTtl at the
 * latest, and usually within the TTL, because zones give SRV and address records alike TTLs.
 *
 * Numeric GB/T 28181 domains (sip/host.ts) are never sent to the resolver.
 */
import { promises as dnsPromises } from 'node:dns';
import type { Address } from '../config/schema.js';
import { SiplbError } from '../errors.js';
import { isNumericDomain } from '../sip/host.js';
import type { DnsAnswer, SrvTarget } from './members.js';

export interface DnsLookup {
  srv(name: string): Promise<DnsAnswer>;
  host(name: string): Promise<DnsAnswer>;
}

export interface ResolverOptions {
  /** DNS servers; undefined: the system's. */
  readonly servers?: readonly Address[];
  /** Per-try timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** Tries per server. @default 2 */
  readonly tries?: number;
}

/** "No such record" answers: the name or this record type does not exist. */
const ABSENT = new Set(['ENODATA', 'ENOTFOUND']);

/** The c-ares code (ENOTFOUND, ETIMEOUT, ECONNREFUSED, …) is in the message, for the log and status. */
const lookupError = (message: string): SiplbError => new SiplbError('SIPLB_ERR_DNS_LOOKUP', message);

const codeOf = (err: unknown): string => (typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'EUNKNOWN');

const serverText = (a: Address): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export function createResolver(opts: ResolverOptions = {}): DnsLookup {
  const resolver = new dnsPromises.Resolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
  if (opts.servers !== undefined && opts.servers.length > 0) resolver.setServers(opts.servers.map(serverText));

  /** A and AAAA of one name; fails only when both fail, or neither has an address. */
  const addresses = async (name: string): Promise<{ addresses: string[]; ttlSeconds: number }> => {
    if (isNumericDomain(name.endsWith('.') ? name.slice(0, -1) : name)) {
      throw lookupError(`${name} is a numeric domain (GB/T 28181), not a DNS name: not resolved`);
    }
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]);
    const records = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (records.length > 0) return { addresses: records.map((r) => r.address), ttlSeconds: Math.min(...records.map((r) => r.ttl)) };
    // Prefer the error that is not "no such record" (a timeout says more than a missing AAAA).
    const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [codeOf(r.reason)] : []));
    const code = errors.find((c) => !ABSENT.has(c)) ?? errors[0] ?? 'ENODATA';
    throw lookupError(`${name}: no A/AAAA record (${code})`);
  };

  return {
    async host(name) {
      const a = await addresses(name);
      return { kind: 'host', addresses: a.addresses, ttlSeconds: a.ttlSeconds };
    },
    async srv(name) {
      let records: Awaited<ReturnType<typeof resolver.resolveSrv>>;
      try {
        records = await resolver.resolveSrv(name);
      } catch (err) {
        throw lookupError(`${name}: no SRV record (${codeOf(err)})`);
      }
      const live = records.filter((r) => r.name !== '' && r.name !== '.');
      const resolved = await Promise.allSettled(live.map((r) => addresses(r.name)));
      const targets: SrvTarget[] = [];
      const failed: string[] = [];
      let ttl = Infinity;
      resolved.forEach((res, i) => {
        const r = live[i];
        if (r === undefined) return;
        if (res.status === 'rejected') {
          failed.push(res.reason instanceof Error ? res.reason.message : String(res.reason));
          return;
        }
        ttl = Math.min(ttl, res.value.ttlSeconds);
        targets.push({ target: r.name, port: r.port, priority: r.priority, weight: r.weight, addresses: res.value.addresses });
      });
      // Some targets resolved: use them (the others are gone or broken). None of several: a failure.
      if (targets.length === 0 && failed.length > 0) throw lookupError(`${name}: no target resolved (${failed.join('; ')})`);
      return { kind: 'srv', targets, ttlSeconds: Number.isFinite(ttl) ? ttl : 0 };
    },
  };
}
