/**
 * @module balance/round-robin
 * Smooth weighted round-robin, as nginx does it (ngx_http_upstream_get_peer): on each pick every
 * member's `current` grows by its weight, the member with the largest `current` wins (first in
 * configuration order on ties) and gives back the total weight. Weights 5,1,1 yield
 * a a b a c a a: the heavy member is interleaved rather than picked in a burst, and over any
 * window of `total` picks each member is chosen exactly `weight` times (integer weights).
 *
 * The routing key is ignored, so retransmissions of one call need the AffinityTable
 * (call-load.ts) to reach the same backend. State is kept per member id: when the candidate
 * list changes, members still present keep their `current`, new ones start at 0 and departed
 * ones are forgotten.
 */

import type { Balancer, Member } from './balancer.js';
import { CandidateSnapshot, hasPositiveWeight } from './balancer.js';

export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin' as const;
  readonly #snapshot = new CandidateSnapshot();
  /** `current` weight of each member, parallel to the snapshot's ids. */
  #current = new Float64Array(0);

  pick(_key: string, candidates: readonly Member[]): Member | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    if (!this.#snapshot.matches(candidates)) this.#carryOver(candidates);

    const cur = this.#current;
    let total = 0;
    let best = -1;
    for (let i = 0; i < n; i++) {
      const m = candidates[i]!;
      if (!hasPositiveWeight(m)) continue;
      const c = cur[i]! + m.weight;
      cur[i] = c;
      total += m.weight;
      if (best < 0 || c > cur[best]!) best = i;
    }
    if (best < 0) return undefined;
    cur[best] = cur[best]! - total;
    return candidates[best];
  }

  /** The `current` weights by member id (for tests and the admin API). */
  state(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    this.#snapshot.ids.forEach((id, i) => out.set(id, this.#current[i]!));
    return out;
  }

  #carryOver(candidates: readonly Member[]): void {
    const before = new Map<string, number>();
    this.#snapshot.ids.forEach((id, i) => before.set(id, this.#current[i]!));
    const next = new Float64Array(candidates.length);
    candidates.forEach((m, i) => (next[i] = before.get(m.id) ?? 0));
    this.#current = next;
    this.#snapshot.remember(candidates);
  }
}
