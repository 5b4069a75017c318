/**
 * @module security/source-table
 * What siplb remembers per source IP: its token bucket, how long it is blocked, and what it was
 * refused for (the top-offenders view). Bounded: at most `maxSources` entries, because a UDP
 * flood can come from any number of (spoofed) addresses. When full, the oldest-inserted idle entry
 * (full bucket, not blocked) among the first few is evicted, else simply the oldest; a spoofing
 * flood therefore recycles its own entries. Pure: time is passed in.
 */
import { isFull, type BucketRate, type BucketState } from './token-bucket.js';

/** Why siplb refused a request. Stable strings: metric label values and status-view keys. */
export type RefusalReason = 'untrusted' | 'rate-limited' | 'flood' | 'blocked' | 'scanner';

export const REFUSAL_REASONS: readonly RefusalReason[] = Object.freeze(['untrusted', 'rate-limited', 'flood', 'blocked', 'scanner']);

export interface SourceState extends BucketState {
  /** Rejections since the last accepted request: sending on after 503s is what "persists" means. */
  strikes: number;
  /** Until when every request from it is dropped (ms); 0 when not blocked. */
  blockedUntil: number;
  /** Requests refused, in total and by the latest reason. */
  refused: number;
  lastReason: RefusalReason | undefined;
  lastRefusedAt: number;
}

/** How many of the oldest entries an eviction looks at for an idle one. */
const EVICTION_SCAN = 16;

export class SourceTable {
  readonly #map = new Map<string, SourceState>();
  readonly #max: number;

  constructor(maxSources: number) {
    this.#max = maxSources;
  }

  get size(): number {
    return this.#map.size;
  }

  get(ip: string): SourceState | undefined {
    return this.#map.get(ip);
  }

  /** The entry of `ip`, created (with a full bucket of `rate`) when new. */
  obtain(ip: string, rate: BucketRate, nowMs: number): SourceState {
    let s = this.#map.get(ip);
    if (s === undefined) {
      if (this.#map.size >= this.#max) this.#evict(rate, nowMs);
      s = { tokens: rate.burst, at: nowMs, strikes: 0, blockedUntil: 0, refused: 0, lastReason: undefined, lastRefusedAt: 0 };
      this.#map.set(ip, s);
    }
    return s;
  }

  #evict(rate: BucketRate, nowMs: number): void {
    let n = 0;
    let oldest: string | undefined;
    for (const [ip, s] of this.#map) {
      oldest ??= ip;
      if (s.blockedUntil <= nowMs && isFull(s, rate, nowMs)) {
        this.#map.delete(ip);
        return;
      }
      if (++n >= EVICTION_SCAN) break;
    }
    if (oldest !== undefined) this.#map.delete(oldest);
  }

  entries(): IterableIterator<[string, SourceState]> {
    return this.#map.entries();
  }

  clear(): void {
    this.#map.clear();
  }
}
