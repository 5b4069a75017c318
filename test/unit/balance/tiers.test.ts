/**
 * Priority tiers (issue 19 item 3): bestTier picks the lowest priority that has a pickable
 * member; the backend registry offers only that tier as candidates, so every balancer sends new
 * calls to the best tier with an eligible backend and steps to the next tier only when the whole
 * better tier is out; `backends[].priority` is validated and defaults to 0.
 */
import { describe, expect, it } from 'vitest';
import { BackendRegistry, type BackendDef } from '../../../src/backends/registry.js';
import { CallLoad } from '../../../src/balance/call-load.js';
import { createBalancer } from '../../../src/balance/index.js';
import type { BalancerName } from '../../../src/balance/balancer.js';
import { bestTier } from '../../../src/balance/tiers.js';
import { validateConfig } from '../../../src/config/validate.js';

const m = (id: string, priority: number | undefined, weight = 1) => ({ id, weight, ...(priority === undefined ? {} : { priority }) });

describe('bestTier', () => {
  it('keeps the members of the lowest priority, in their order', () => {
    const list = [m('a', 10), m('b', 0), m('c', 10), m('d', 0), m('e', 5)];
    expect(bestTier(list).map((x) => x.id)).toEqual(['b', 'd']);
  });

  it('returns the same array for a single tier (and for an empty list); a missing priority is 0', () => {
    const one = [m('a', 3), m('b', 3)];
    expect(bestTier(one)).toBe(one);
    const none: ReturnType<typeof m>[] = [];
    expect(bestTier(none)).toBe(none);
    expect(bestTier([m('a', undefined), m('b', 1)]).map((x) => x.id)).toEqual(['a']);
  });

  it('skips a tier whose members no balancer would pick (weight not positive)', () => {
    expect(bestTier([m('a', 0, 0), m('b', 1), m('c', 1)]).map((x) => x.id)).toEqual(['b', 'c']);
    const allZero = [m('a', 0, 0), m('b', 1, 0)];
    expect(bestTier(allZero)).toBe(allZero);
  });
});

const defs = (...tiers: number[]): BackendDef[] =>
  tiers.map((priority, i) => ({ id: `gw${i + 1}`, address: { host: '127.0.0.1', port: 5071 + i }, weight: 1, priority }));

describe('BackendRegistry candidates by tier', () => {
  it('offers only the best tier with an eligible backend, and steps down and back as eligibility changes', () => {
    const r = new BackendRegistry(defs(1, 1, 2, 2, 3));
    const ids = (): string[] => r.candidates().map((b) => b.id);
    expect(ids()).toEqual(['gw1', 'gw2']);
    r.setEligible('gw1', false);
    expect(ids()).toEqual(['gw2']);
    r.setEligible('gw2', false);
    expect(ids()).toEqual(['gw3', 'gw4']);
    r.setEligible('gw3', false);
    r.setEligible('gw4', false);
    expect(ids()).toEqual(['gw5']);
    r.setEligible('gw5', false);
    expect(ids()).toEqual([]);
    r.setEligible('gw2', true);
    expect(ids()).toEqual(['gw2']);
  });

  it('eligible() lists every eligible backend of any tier (serial failover picks bestTier of the untried ones)', () => {
    const r = new BackendRegistry(defs(1, 1, 2));
    expect(r.eligible().map((b) => b.id)).toEqual(['gw1', 'gw2', 'gw3']);
    r.setEligible('gw2', false);
    expect(r.eligible().map((b) => b.id)).toEqual(['gw1', 'gw3']);
    // gw1 tried and refused: the untried rest of tier 1 is empty, so the call steps to tier 2.
    expect(bestTier(r.eligible().filter((b) => b.id !== 'gw1')).map((b) => b.id)).toEqual(['gw3']);
  });

    it('a reload that changes priorities changes the tiers; a backend without priority is tier 0', () => {
    const r = new BackendRegistry(defs(0, 5));
    expect(r.candidates().map((b) => b.id)).toEqual(['gw1']);
    r.replace(defs(5, 0));
    expect(r.candidates().map((b) => b.id)).toEqual(['gw2']);
    r.replace([{ id: 'x', address: { host: '127.0.0.1', port: 6000 }, weight: 1 }, ...defs(1)]);
    expect(r.candidates().map((b) => b.id)).toEqual(['x']);
    expect(r.byId('x')?.priority).toBe(0);
  });

  it.each(['hash', 'round-robin', 'least-connections'] as BalancerName[])('%s sends every new call to the best tier, and to tier 2 only when tier 1 is out', (mode) => {
    const b = createBalancer(mode, { load: new CallLoad() });
    const r = new BackendRegistry(defs(1, 1, 2));
    const picks = (n: number): Set<string> => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(b.pick(`call-${i}`, r.candidates())!.id);
      return seen;
    };
    expect([...picks(200)].sort()).toEqual(['gw1', 'gw2']);
    r.setEligible('gw1', false);
    expect([...picks(50)]).toEqual(['gw2']);
    r.setEligible('gw2', false);
    expect([...picks(50)]).toEqual(['gw3']);
    r.setEligible('gw1', true);
    expect([...picks(50)]).toEqual(['gw1']);
  });
});

describe('backends[].priority in the config', () => {
  const base = { backends: [{ id: 'gw1', address: '127.0.0.1:5071' }] };

  it('defaults to 0 and accepts 0..65535', () => {
    const ok = validateConfig(base);
    expect(ok.ok && ok.config.backends[0]!.priority).toBe(0);
    const set = validateConfig({ backends: [{ id: 'gw1', address: '127.0.0.1:5071', priority: 65535 }] });
    expect(set.ok && set.config.backends[0]!.priority).toBe(65535);
  });

  it.each([-1, 65536, 1.5, '1'])('refuses priority %s with the key path', (priority) => {
    const r = validateConfig({ backends: [{ id: 'gw1', address: '127.0.0.1:5071', priority }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain('backends[0].priority');
  });
});
