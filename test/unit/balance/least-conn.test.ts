import { describe, expect, it } from 'vitest';
import type { Member } from '../../../src/balance/balancer.js';
import { CallLoad } from '../../../src/balance/call-load.js';
import { LeastConnBalancer, type CallLoadView } from '../../../src/balance/least-conn.js';

function fixedLoad(counts: Record<string, number>): CallLoadView {
  return { active: (id) => counts[id] ?? 0 };
}

describe('LeastConnBalancer', () => {
  it('prefers the lowest active/weight ratio, not the lowest count', () => {
    const c: Member[] = [
      { id: 'a', weight: 2 }, // 4/2 = 2
      { id: 'b', weight: 1 }, // 3/1 = 3
      { id: 'c', weight: 4 }, // 10/4 = 2.5
    ];
    const b = new LeastConnBalancer(fixedLoad({ a: 4, b: 3, c: 10 }));
    for (let i = 0; i < 10; i++) expect(b.pick('', c)!.id).toBe('a');
  });

  it('spreads equal loads by a rotating tie-break', () => {
    const c: Member[] = ['a', 'b', 'c'].map((id) => ({ id, weight: 1 }));
    const b = new LeastConnBalancer(fixedLoad({}));
    expect(Array.from({ length: 6 }, () => b.pick('', c)!.id)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('breaks ties only among the least loaded', () => {
    const c: Member[] = ['a', 'b', 'c'].map((id) => ({ id, weight: 1 }));
    const b = new LeastConnBalancer(fixedLoad({ a: 1, b: 0, c: 0 }));
    const got = Array.from({ length: 6 }, () => b.pick('', c)!.id);
    expect(got).not.toContain('a');
    expect(new Set(got)).toEqual(new Set(['b', 'c']));
  });

  it('tracks a live CallLoad as calls are established and end', () => {
    const load = new CallLoad();
    const c: Member[] = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
    ];
    const b = new LeastConnBalancer(load);
    for (let i = 0; i < 10; i++) {
      const m = b.pick(`call${i}`, c)!;
      load.established(`call${i}`, m.id, i);
    }
    expect([load.active('a'), load.active('b')]).toEqual([5, 5]);
    for (let i = 0; i < 10; i++) if (load.backendOf(`call${i}`) === 'a') load.ended(`call${i}`, 100);
    for (let i = 0; i < 4; i++) expect(b.pick(`new${i}`, c)!.id).toBe('a');
  });
});

describe('LeastConnBalancer tie-break among the least loaded', () => {
  it('spreads evenly over the tied members when one member is busier', () => {
    const loads: Record<string, number> = { a: 1, b: 0, c: 0 };
    const lb = new LeastConnBalancer({ active: (id) => loads[id] ?? 0 });
    const members = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    const picks = Array.from({ length: 6 }, () => lb.pick('k', members)?.id);
    expect(picks.filter((p) => p === 'b')).toHaveLength(3);
    expect(picks.filter((p) => p === 'c')).toHaveLength(3);
    expect(picks).not.toContain('a');
  });
});
