/**
 * @module balance/tiers
 * Priority tiers (`backends[].priority`, lower is preferred; SRV priority, RFC 2782, and
 * Kamailio dispatcher priorities serve the same purpose): new calls go only to the best tier
 * that has a member able to take one, so a disaster-recovery site takes calls only once every
 * primary backend is out. Within the tier the balancer spreads calls as usual. Pure.
 */
import { hasPositiveWeight, type Member } from './balancer.js';

/** A member with its tier. */
export interface TieredMember extends Member {
  /** Lower is preferred. Members of one priority form a tier. @default 0 */
  readonly priority?: number;
}

/**
 * The members of the best (lowest) priority among `eligible` that has a member with a positive
 * weight (one that a balancer would pick), in their given order. Returns `eligible` itself when
 * it holds a single tier, so callers that compare arrays by identity keep working.
 */
export function bestTier<M extends TieredMember>(eligible: readonly M[]): readonly M[] {
  let best = Infinity;
  let mixed = false;
  let first: number | undefined;
  for (const m of eligible) {
    const p = m.priority ?? 0;
    first ??= p;
    if (p !== first) mixed = true;
    if (p < best && hasPositiveWeight(m)) best = p;
  }
  if (!mixed || best === Infinity) return eligible;
  return eligible.filter((m) => (m.priority ?? 0) === best);
}
