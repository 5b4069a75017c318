/**
 * @module balance/least-conn
 * Least connections: the candidate with the fewest active calls per unit of weight wins.
 * Active counts come from an injected {@link CallLoadView} (normally a CallLoad, which counts
 * calls from their 2xx to their BYE or expiry).
 *
 * Ties are broken by a rotating start index, so that while counts are equal (at start-up, or in
 * a burst of INVITEs whose 2xx has not arrived yet) new calls spread over the members instead
 * of all going to the first one. The key is ignored, so the AffinityTable must keep a call's
 * retransmissions on its backend.
 */

import type { Balancer, Member } from './balancer.js';
import { hasPositiveWeight } from './balancer.js';

/** Read side of the active-call accounting. */
export interface CallLoadView {
  /** Calls currently counted against `backendId`. */
  active(backendId: string): number;
}

export class LeastConnBalancer implements Balancer {
  readonly name = 'least-connections' as const;
  readonly #load: CallLoadView;
  #rotor = 0;

  constructor(load: CallLoadView) {
    this.#load = load;
  }

  pick(_key: string, candidates: readonly Member[]): Member | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const start = this.#rotor % n;
    // Wraps well before 2^53 loses precision; keeps the modulo cheap.
    this.#rotor = (this.#rotor + 1) % 0x40000000;
    let best: Member | undefined;
    let bestScore = Infinity;
    for (let j = 0; j < n; j++) {
      const m = candidates[(start + j) % n]!;
      if (!hasPositiveWeight(m)) continue;
      const score = this.#load.active(m.id) / m.weight;
      // Strictly less: among equals the first from the rotating start wins.
      if (best === undefined || score < bestScore) {
        best = m;
        bestScore = score;
      }
    }
    return best;
  }
}
