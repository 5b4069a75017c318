/**
 * @module balance/least-conn
 * Least connections: the candidate with the fewest active calls per unit of weight wins.
 * Active counts come from an injected {@link CallLoadView} (normally a CallLoad, which counts
 * calls from their 2xx to their BYE or expiry).
 *
 * Ties are broken by a rotating counter that picks the k-th of the tied members, so that while
 * counts are equal (at start-up, or in a burst of INVITEs whose 2xx has not arrived yet) new
 * calls spread evenly over the tied members instead of all going to the first one. Rotating the
 * scan's start index instead would favour the member after a loaded one: with a, b, c and `a`
 * busy, starts at a and at b both land on b, so b would get 2/3 of the calls and c 1/3.
 * The key is ignored, so the AffinityTable must keep a call's retransmissions on its backend.
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
    // Pass 1: the lowest active/weight score and how many members share it.
    let bestScore = Infinity;
    let ties = 0;
    for (const m of candidates) {
      if (!hasPositiveWeight(m)) continue;
      const score = this.#load.active(m.id) / m.weight;
      if (score < bestScore) {
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
      }
    }
    if (ties === 0) return undefined;
    // Pass 2: the k-th tied member in configuration order, k rotating by one per pick.
    let k = this.#rotor % ties;
    // Wraps well before 2^53 loses precision; keeps the modulo cheap.
    this.#rotor = (this.#rotor + 1) % 0x40000000;
    for (const m of candidates) {
      if (hasPositiveWeight(m) && this.#load.active(m.id) / m.weight === bestScore && k-- === 0) return m;
    }
    return undefined; // unreachable: the load is read synchronously, so pass 2 sees pass 1's scores
  }
}
