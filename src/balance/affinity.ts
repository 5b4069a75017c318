/**
 * @module balance/affinity
 * Call-ID → backend affinity for balancers that ignore the key (round-robin, least-connections).
 * The first INVITE of a call is balanced; its retransmissions, CANCEL and the ACK of a non-2xx
 * final response carry the same Call-ID and must reach the same backend, or that backend never
 * sees the CANCEL and another one answers a duplicate INVITE.
 *
 * An entry lives `ttlMs` from its last `set`, by default 64·T1 = 32 s, the lifetime of an INVITE
 * client transaction (Timer B, RFC 3261 §17.1.1.2). Callers that need longer (a 2xx that
 * arrives after long ringing, whose ACK must follow) call `set` again to refresh. Since every
 * entry gets the same TTL and `nowMs` never decreases, the Map's insertion order is expiry
 * order: sweeping stops at the first live entry and eviction of the oldest entry when full is
 * O(1).
 *
 * `setUntil` gives one entry its own expiry instead (a registrar's 2xx names how long a binding
 * lives, RFC 3261 §10.3 step 8; proxy/registered-users.ts). Map order is then refresh order, not
 * strictly expiry order: the sweep still stops at the first live entry, so an entry that expires
 * behind a longer-lived one stays until `get` finds it expired (and removes it), eviction takes
 * it when the table is full, or a later sweep reaches it. The bound holds either way.
 *
 * Memory: about 135 bytes per entry with 40-character Call-IDs, of which ~65 are the key string
 * the table keeps alive (100 000 entries with process.memoryUsage() around a forced GC on Node 20
 * x64, bench/micro/balance-affinity-mem.mjs); 100 000 entries ≈ 13.5 MB. Keys should be flat
 * strings copied out of the datagram (buf.toString), not concatenations (a rope costs ~250 B)
 * nor slices of a whole-packet string (each entry would retain its packet).
 */

export interface AffinityOptions {
  /** Lifetime of an entry after its last `set`. @default 32000 (64·T1, RFC 3261 §17.1.1.2) */
  readonly ttlMs?: number;
  /** Entries held at most; when full the oldest is evicted. @default 100000 */
  readonly maxEntries?: number;
}

/** RFC 3261 §17.1.1.1: T1 = 500 ms; Timer B = 64·T1. */
const T1_MS = 500;

export const DEFAULT_AFFINITY_OPTIONS: Required<AffinityOptions> = Object.freeze({
  ttlMs: 64 * T1_MS,
  maxEntries: 100_000,
});

interface AffinityEntry {
  readonly backendId: string;
  readonly expiresAtMs: number;
}

export class AffinityTable {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #map = new Map<string, AffinityEntry>();
  #evicted = 0;

  constructor(opts: AffinityOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? DEFAULT_AFFINITY_OPTIONS.ttlMs;
    this.#maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_AFFINITY_OPTIONS.maxEntries);
  }

  /** The backend bound to `callId`, or undefined when absent or expired (expired is removed). */
  get(callId: string, nowMs: number): string | undefined {
    // An empty table (no registration seen, say) answers without hashing the key.
    if (this.#map.size === 0) return undefined;
    const e = this.#map.get(callId);
    if (e === undefined) return undefined;
    if (e.expiresAtMs <= nowMs) {
      this.#map.delete(callId);
      return undefined;
    }
    return e.backendId;
  }

  /** Bind `callId` to `backendId` for `ttlMs` from `nowMs`, evicting the oldest entry if full. */
  set(callId: string, backendId: string, nowMs: number): void {
    this.setUntil(callId, backendId, nowMs + this.#ttlMs);
  }

  /**
   * Bind `key` to `backendId` until `expiresAtMs` (this entry's own lifetime, not `ttlMs`),
   * evicting the entry refreshed longest ago if full.
   */
  setUntil(key: string, backendId: string, expiresAtMs: number): void {
    // Delete first so a refreshed entry moves to the end (with one TTL: expiry order).
    if (!this.#map.delete(key) && this.#map.size >= this.#maxEntries) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) {
        this.#map.delete(oldest.value);
        this.#evicted++;
      }
    }
    this.#map.set(key, { backendId, expiresAtMs });
  }

  /** Remove the binding of `callId`. */
  delete(callId: string): boolean {
    return this.#map.delete(callId);
  }

  /**
   * Remove expired entries from the oldest on, stopping at the first live one (with one TTL,
   * insertion order is expiry order, so that is every expired entry; see `setUntil`).
   * @returns how many were removed
   */
  sweep(nowMs: number): number {
    let removed = 0;
    for (const [callId, e] of this.#map) {
      if (e.expiresAtMs > nowMs) break;
      this.#map.delete(callId);
      removed++;
    }
    return removed;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Entries evicted (oldest first) because the table was full, since construction. */
  get evicted(): number {
    return this.#evicted;
  }
}
