/**
 * @module backends/registry
 * The configured backend set: lookup by id and by source address (for the no-open-relay rule and to
 * attribute responses), and the immutable snapshot of backends eligible for new calls that the
 * balancer picks from. Eligibility is decided elsewhere (health + admin state) and pushed in;
 * every change swaps in a new candidate array, never mutating one a caller may hold.
 */
import { bestTier, type TieredMember } from '../balance/tiers.js';
import { addressKey } from '../transport/address.js';
import type { Transport } from '../transport/contract.js';

/** Transports a backend may be reached over (WebSocket is a client-side edge only). */
export type BackendTransport = Extract<Transport, 'udp' | 'tcp' | 'tls'>;

export interface BackendDef {
  readonly id: string;
  readonly address: { readonly host: string; readonly port: number };
  /** Transport towards the backend. @default 'udp' */
  readonly transport?: BackendTransport;
  /** The backend also takes TCP at its address: large requests switch to it (RFC 3261 §18.1.1). @default false */
  readonly acceptsTcp?: boolean;
  readonly weight: number;
  /** Tier, lower preferred. @default 0 */
  readonly priority?: number;
}

export interface Backend extends TieredMember {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Requests and probes go over it; a Backend is itself a SendTarget (no allocation per send). */
  readonly transport: BackendTransport;
  /** Takes TCP at the same address too: a UDP request over sip.udpMtu goes to it over TCP. */
  readonly acceptsTcp: boolean;
  readonly weight: number;
  /** `host:port` text, for logs and the admin API. */
  readonly key: string;
}

export class BackendRegistry {
  #byId = new Map<string, Backend>();
  /** port → host → backend: a lookup by source address allocates no key string. */
  #byAddress = new Map<number, Map<string, Backend>>();
  /** Every backend's host (lower case), whatever the port: a backend's requests are trusted from any of its ports. */
  #hosts = new Set<string>();
  #eligible = new Set<string>();
  #candidates: readonly Backend[] = [];
  #eligibleList: readonly Backend[] = [];
  #all: readonly Backend[] = [];

  constructor(defs: readonly BackendDef[]) {
    this.replace(defs);
  }

  /** Replace the whole set (config reload). Backends that stay keep their eligibility. */
  replace(defs: readonly BackendDef[]): void {
    const byId = new Map<string, Backend>();
    const byAddress = new Map<number, Map<string, Backend>>();
    for (const d of defs) {
      const b: Backend = Object.freeze({
        id: d.id,
        host: d.address.host,
        port: d.address.port,
        transport: d.transport ?? 'udp',
        acceptsTcp: d.acceptsTcp === true || d.transport === 'tcp',
        weight: d.weight,
        priority: d.priority ?? 0,
        key: addressKey(d.address.host, d.address.port),
      });
      byId.set(b.id, b);
      let hosts = byAddress.get(b.port);
      if (!hosts) byAddress.set(b.port, (hosts = new Map()));
      hosts.set(b.host.toLowerCase(), b);
    }
    const eligible = new Set<string>();
    for (const id of byId.keys()) if (this.#eligible.has(id) || !this.#byId.has(id)) eligible.add(id);
    this.#byId = byId;
    this.#byAddress = byAddress;
    this.#hosts = new Set(defs.map((d) => d.address.host.toLowerCase()));
    this.#eligible = eligible;
    this.#all = Object.freeze([...byId.values()]);
    this.#rebuild();
  }

  get all(): readonly Backend[] {
    return this.#all;
  }

  byId(id: string): Backend | undefined {
    return this.#byId.get(id);
  }

  byAddress(host: string, port: number): Backend | undefined {
    const hosts = this.#byAddress.get(port);
    if (hosts === undefined) return undefined;
    // Hosts as a socket reports them or as parsed are nearly always lower case already: lower
    // the name (a call into the runtime) only when it is not found as it is.
    const exact = hosts.get(host);
    if (exact !== undefined) return exact;
    const lower = host.toLowerCase();
    return lower === host ? undefined : hosts.get(lower);
  }

  /**
   * The backend a message over a stream connection comes from: its address, or — for a connection
   * the backend opened itself, whose source port is ephemeral (RFC 3261 §18.2.1) — the first
   * backend on that host that speaks a stream transport (tcp/tls, or acceptsTcp). A WebSocket
   * connection is never a backend's: siplb has no WebSocket backends, and browsers on a backend's
   * host (a lab, a single-box deployment) are clients that need their Path and flow token.
   */
  byStreamSource(host: string, port: number, transport: Transport): Backend | undefined {
    if (transport === 'ws' || transport === 'wss') return undefined;
    const exact = this.byAddress(host, port);
    if (exact !== undefined || !this.#hosts.has(host.toLowerCase())) return exact;
    const h = host.toLowerCase();
    return this.#all.find((b) => b.host.toLowerCase() === h && (b.transport !== 'udp' || b.acceptsTcp));
  }

  /** Whether `host` (an IP as a socket reports it) is the host of any backend, on any port. */
  isBackendHost(host: string): boolean {
    return this.#hosts.has(host);
  }

  /**
   * Backends that may take a new call: the eligible ones of the best priority tier that has any
   * (balance/tiers.ts), in configuration order. Same array until something changes.
   */
  candidates(): readonly Backend[] {
    return this.#candidates;
  }

  /** Every backend that may take a new call, of any tier, in configuration order (serial failover steps tiers with it). */
  eligible(): readonly Backend[] {
    return this.#eligibleList;
  }

  isEligible(id: string): boolean {
    return this.#eligible.has(id);
  }

  setEligible(id: string, eligible: boolean): void {
    if (!this.#byId.has(id) || this.#eligible.has(id) === eligible) return;
    if (eligible) this.#eligible.add(id);
    else this.#eligible.delete(id);
    this.#rebuild();
  }

  #rebuild(): void {
    this.#eligibleList = Object.freeze(this.#all.filter((b) => this.#eligible.has(b.id)));
    this.#candidates = Object.freeze(bestTier(this.#eligibleList));
  }
}
