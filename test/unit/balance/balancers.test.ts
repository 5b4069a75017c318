import { describe, expect, it } from 'vitest';
import { CallLoad } from '../../../src/balance/call-load.js';
import { HashBalancer } from '../../../src/balance/hash-ring.js';
import {
  BALANCER_NAMES,
  createBalancer,
  HashBalancer as HashFromIndex,
  LeastConnBalancer,
  RoundRobinBalancer,
} from '../../../src/balance/index.js';
import type { BalancerName } from '../../../src/balance/index.js';
import { runBalancerContract } from './balancer-contract.js';

runBalancerContract('hash', () => new HashBalancer());
runBalancerContract('round-robin', () => new RoundRobinBalancer());
runBalancerContract('least-connections', () => new LeastConnBalancer(new CallLoad()));

// The factory's products honour the contract too.
runBalancerContract('hash', () => createBalancer('hash'));
runBalancerContract('round-robin', () => createBalancer('round-robin'));
runBalancerContract('least-connections', () => createBalancer('least-connections', { load: new CallLoad() }));

describe('createBalancer', () => {
  it('makes each named balancer', () => {
    expect(createBalancer('hash')).toBeInstanceOf(HashFromIndex);
    expect(createBalancer('hash', { vnodes: 10 }).ring.vnodes).toBe(10);
    expect(createBalancer('round-robin')).toBeInstanceOf(RoundRobinBalancer);
    expect(createBalancer('least-connections', { load: new CallLoad() })).toBeInstanceOf(LeastConnBalancer);
    for (const name of BALANCER_NAMES) expect(createBalancer(name, { load: new CallLoad() }).name).toBe(name);
  });

  it('refuses least-connections without a load source', () => {
    expect(() => createBalancer('least-connections' as BalancerName, {})).toThrow(/opts\.load/);
  });

  it('refuses an unknown name', () => {
    expect(() => createBalancer('random' as BalancerName, {})).toThrow(/unknown balancer random/);
  });
});
