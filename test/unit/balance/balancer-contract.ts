/**
 * @module test/unit/balance/balancer-contract
 * The contract every Balancer honours, run against each implementation from balancers.test.ts
 * (hono's common.case.test.ts pattern): candidates only, stickiness (hash only), spread, empty
 * lists, members removed and returned, non-positive weights, no retained references.
 */

import { describe, expect, it } from 'vitest';
import type { Balancer, BalancerName, Member } from '../../../src/balance/balancer.js';
import { randomCallIds } from './random.js';

const KEYS = randomCallIds(3000, 42);

function members(n: number): Member[] {
  return Array.from({ length: n }, (_, i) => ({ id: `b${i}`, weight: 1 }));
}

function spread(b: Balancer, candidates: readonly Member[], keys: readonly string[] = KEYS): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) {
    const m = b.pick(k, candidates);
    if (m === undefined) throw new Error('no pick');
    counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
  }
  return counts;
}

export function runBalancerContract(name: BalancerName, create: () => Balancer): void {
  describe(`Balancer contract: ${name}`, () => {
    it('reports its name', () => {
      expect(create().name).toBe(name);
    });

    it('returns undefined for an empty candidate list', () => {
      const b = create();
      expect(b.pick('k@h', [])).toBeUndefined();
      b.pick('k@h', members(3)); // and after having had members
      expect(b.pick('k@h', [])).toBeUndefined();
    });

    it('returns one of the candidate objects passed in', () => {
      const b = create();
      for (const k of KEYS.slice(0, 500)) {
        const c = members(4); // fresh objects every time: no stale references may leak out
        expect(c).toContain(b.pick(k, c));
      }
    });

    if (name === 'hash') {
      it('is sticky: the same key gets the same member, across calls and equal lists', () => {
        const b = create();
        const c = members(5);
        const first = KEYS.map((k) => b.pick(k, c)?.id);
        expect(KEYS.map((k) => b.pick(k, members(5))?.id)).toEqual(first);
        const other = create(); // a second instance (another process, after a restart) agrees
        expect(KEYS.map((k) => other.pick(k, c)?.id)).toEqual(first);
      });
    } else {
      it('is not sticky, but every pick is a candidate even for a repeated key', () => {
        const b = create();
        const c = members(3);
        const seen = new Set<string>();
        for (let i = 0; i < 30; i++) {
          const m = b.pick('same@host', c);
          expect(c).toContain(m);
          seen.add(m!.id);
        }
        expect(seen.size).toBe(3);
      });
    }

    it('spreads keys over all members', () => {
      const counts = spread(create(), members(3));
      expect(counts.size).toBe(3);
      for (const n of counts.values()) expect(n / KEYS.length).toBeGreaterThan(0.25);
    });

    it('never returns a removed member, and picks it again once it returns', () => {
      const b = create();
      const all = members(4);
      spread(b, all);
      const without = all.filter((m) => m.id !== 'b2');
      expect(spread(b, without).has('b2')).toBe(false);
      expect(spread(b, all).get('b2')).toBeGreaterThan(KEYS.length / 8);
    });

    it('follows a new list that shares no member with the previous one', () => {
      const b = create();
      spread(b, members(3));
      const other: Member[] = [
        { id: 'x', weight: 1 },
        { id: 'y', weight: 1 },
      ];
      expect([...spread(b, other).keys()].sort()).toEqual(['x', 'y']);
    });

    it('never picks a member whose weight is not positive', () => {
      const b = create();
      const c: Member[] = [
        { id: 'zero', weight: 0 },
        { id: 'live', weight: 1 },
        { id: 'neg', weight: -1 },
        { id: 'nan', weight: Number.NaN },
      ];
      expect([...spread(b, c).keys()]).toEqual(['live']);
      expect(b.pick('k@h', [{ id: 'zero', weight: 0 }])).toBeUndefined();
    });
  });
}
