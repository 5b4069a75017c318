/**
 * @module balance
 * Selection strategies over opaque string keys, and the factory that makes one by name.
 * Knows nothing about SIP; imports nothing outside this folder.
 */

import type { Balancer, BalancerName } from './balancer.js';
import type { CallLoadView } from './least-conn.js';
import { HashBalancer } from './hash-ring.js';
import { LeastConnBalancer } from './least-conn.js';
import { RoundRobinBalancer } from './round-robin.js';

export type { Balancer, BalancerName, Member } from './balancer.js';
export { BALANCER_NAMES, hasPositiveWeight } from './balancer.js';
export { hashBytes, hashString } from './hash.js';
export { DEFAULT_VNODES, HashBalancer, HashRing, MAX_RING_POINTS, type HashRingOptions } from './hash-ring.js';
export { RoundRobinBalancer } from './round-robin.js';
export { LeastConnBalancer, type CallLoadView } from './least-conn.js';
export { CallLoad, DEFAULT_CALL_LOAD_OPTIONS, type CallLoadOptions } from './call-load.js';
export { AffinityTable, DEFAULT_AFFINITY_OPTIONS, type AffinityOptions } from './affinity.js';

export interface BalancerOptions {
  /** Ring points per unit of weight ('hash' only). @default DEFAULT_VNODES */
  readonly vnodes?: number;
  /** Ring points at most ('hash' only). @default MAX_RING_POINTS */
  readonly maxPoints?: number;
  /** Active-call counts ('least-connections' only, required there), normally a CallLoad. */
  readonly load?: CallLoadView;
}

export function createBalancer(name: 'hash', opts?: BalancerOptions): HashBalancer;
export function createBalancer(name: 'round-robin', opts?: BalancerOptions): RoundRobinBalancer;
export function createBalancer(name: 'least-connections', opts: BalancerOptions & { readonly load: CallLoadView }): LeastConnBalancer;
/** By a name from configuration: pass `load` too, in case the name is 'least-connections'. */
export function createBalancer(name: BalancerName, opts: BalancerOptions): Balancer;
export function createBalancer(name: BalancerName, opts: BalancerOptions = {}): Balancer {
  switch (name) {
    case 'hash':
      return new HashBalancer(opts);
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'least-connections':
      if (opts.load === undefined) {
        // A wiring bug, not an operator error: app.ts always passes the CallLoad.
        throw new TypeError("createBalancer('least-connections') needs opts.load, the CallLoad to read active calls from");
      }
      return new LeastConnBalancer(opts.load);
    default: {
      const never: never = name;
      throw new TypeError(`unknown balancer ${String(never)}`);
    }
  }
}
