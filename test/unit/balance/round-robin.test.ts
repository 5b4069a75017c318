import { describe, expect, it } from 'vitest';
import type { Member } from '../../../src/balance/balancer.js';
import { RoundRobinBalancer } from '../../../src/balance/round-robin.js';

function picks(b: RoundRobinBalancer, c: readonly Member[], n: number): string[] {
  return Array.from({ length: n }, (_, i) => b.pick(`k${i}`, c)!.id);
}

describe('RoundRobinBalancer (smooth weighted, as nginx)', () => {
  it("yields nginx's sequence a a b a c a a for weights 5,1,1, and repeats it", () => {
    const c: Member[] = [
      { id: 'a', weight: 5 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    const seq = ['a', 'a', 'b', 'a', 'c', 'a', 'a'];
    expect(picks(new RoundRobinBalancer(), c, 14)).toEqual([...seq, ...seq]);
  });

  it('splits 1:2:3 exactly over 600 picks, and exactly within every window of 6', () => {
    const b = new RoundRobinBalancer();
    const c: Member[] = [
      { id: 'x', weight: 1 },
      { id: 'y', weight: 2 },
      { id: 'z', weight: 3 },
    ];
    const seq = picks(b, c, 600);
    const count = (ids: readonly string[], id: string): number => ids.filter((v) => v === id).length;
    expect([count(seq, 'x'), count(seq, 'y'), count(seq, 'z')]).toEqual([100, 200, 300]);
    for (let w = 0; w < 600; w += 6) {
      const win = seq.slice(w, w + 6);
      expect([count(win, 'x'), count(win, 'y'), count(win, 'z')]).toEqual([1, 2, 3]);
    }
  });

  it('alternates equal weights in configuration order and ignores the key', () => {
    const c: Member[] = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    const b = new RoundRobinBalancer();
    expect(Array.from({ length: 6 }, () => b.pick('same-key', c)!.id)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('keeps per-member state when the same contents are passed in a new array', () => {
    const b = new RoundRobinBalancer();
    const mk = (): Member[] => [
      { id: 'a', weight: 5 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    expect(Array.from({ length: 7 }, () => b.pick('', mk())!.id).join('')).toBe('aabacaa');
  });

  it('on a set change keeps the state of remaining members, starts new ones at 0, forgets departed ones', () => {
    const b = new RoundRobinBalancer();
    const ab: Member[] = [
      { id: 'a', weight: 3 },
      { id: 'b', weight: 1 },
    ];
    picks(b, ab, 2); // a: 3→0→3? see state below
    const before = b.state();
    const abc: Member[] = [...ab, { id: 'c', weight: 1 }];
    b.pick('', [...abc].reverse()); // order changes too
    // Before this pick a and b kept their values and c started at 0; the pick then added weights.
    const after = b.state();
    const total = 5;
    const expected = new Map([
      ['a', before.get('a')! + 3],
      ['b', before.get('b')! + 1],
      ['c', 0 + 1],
    ]);
    const winner = [...expected.entries()].reduce((x, y) => (y[1] > x[1] ? y : x))[0];
    expected.set(winner, expected.get(winner)! - total);
    expect(new Map(after)).toEqual(expected);

    b.pick('', [{ id: 'c', weight: 1 }]);
    expect([...b.state().keys()]).toEqual(['c']);
  });

  it('keeps the sum of current weights at zero (the nginx invariant)', () => {
    const b = new RoundRobinBalancer();
    const c: Member[] = [
      { id: 'a', weight: 7 },
      { id: 'b', weight: 3 },
      { id: 'c', weight: 2 },
      { id: 'd', weight: 0 },
    ];
    for (let i = 0; i < 100; i++) {
      b.pick('', c);
      expect([...b.state().values()].reduce((s, v) => s + v, 0)).toBe(0);
    }
  });
});
