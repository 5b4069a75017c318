/**
 * @module balance/balancer
 * The balancer strategy interface. A balancer chooses one member among the candidates for a
 * new call, by an opaque string key (the Call-ID today). It knows nothing about SIP.
 */

/** A backend as the balancers see it: an opaque id and a relative weight. */
export interface Member {
  readonly id: string;
  /**
   * Relative share of new calls. Positive finite numbers only; a member whose weight is not
   * positive (0, negative, NaN) is never picked by any balancer.
   */
  readonly weight: number;
}

export type BalancerName = 'hash' | 'round-robin' | 'least-connections';

export const BALANCER_NAMES: readonly BalancerName[] = ['hash', 'round-robin', 'least-connections'];

export interface Balancer {
  readonly name: BalancerName;
  /**
   * Choose a member for a new call.
   * @param key routing key (e.g. the Call-ID); only the hash balancer uses it
   * @param candidates the backends eligible for a new call (up and enabled), in configuration
   *   order. The balancer keeps no reference to this array; it may cache structures derived from
   *   its contents (ids, weights, order) and rebuilds them when the contents change.
   * @returns one of `candidates`, or `undefined` when no candidate has a positive weight
   */
  pick(key: string, candidates: readonly Member[]): Member | undefined;
}

/** True when a member may be chosen at all (see {@link Member.weight}). */
export function hasPositiveWeight(m: Member): boolean {
  return m.weight > 0 && Number.isFinite(m.weight);
}

/**
 * Remembers the ids, weights and order of the last candidate list so a balancer can tell,
 * without allocating, whether a newly passed list has the same contents. Comparing contents
 * rather than array identity keeps us correct even if a caller reuses or mutates an array.
 */
export class CandidateSnapshot {
  #ids: string[] = [];
  #weights: number[] = [];

  /** True when `candidates` has exactly the remembered ids and weights, in the same order. */
  matches(candidates: readonly Member[]): boolean {
    const n = candidates.length;
    if (n !== this.#ids.length) return false;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      // Object.is so that a NaN weight compares equal to itself.
      if (c.id !== this.#ids[i] || !Object.is(c.weight, this.#weights[i])) return false;
    }
    return true;
  }

  /** Remember the contents of `candidates` (copies; keeps no reference to the array). */
  remember(candidates: readonly Member[]): void {
    this.#ids = candidates.map((c) => c.id);
    this.#weights = candidates.map((c) => c.weight);
  }

  get ids(): readonly string[] {
    return this.#ids;
  }
}
