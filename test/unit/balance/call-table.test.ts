import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CallTable, callIdOf } from '../../../src/balance/call-table.js';

describe('CallTable', () => {
  it('keeps one record per Call-ID across lanes, and drops it when no lane holds it', () => {
    const t = new CallTable();
    const a = t.lane();
    const b = t.lane();
    a.put('c1', 'gw1', 0);
    b.put('c1', 'gw2', 5);
    expect(t.size).toBe(1);
    const r = a.find('c1')!;
    expect([a.value(r), a.time(r), b.value(r), b.time(r)]).toEqual(['gw1', 0, 'gw2', 5]);
    expect(a.delete('c1')).toBe(true);
    expect([a.has('c1'), b.has('c1'), t.size]).toEqual([false, true, 1]);
    expect(a.delete('c1')).toBe(false);
    b.delete('c1');
    expect([t.size, t.find('c1')]).toEqual([0, undefined]);
  });

  it('orders a lane by when each slot was last filled, skipping cleared and refilled entries', () => {
    const t = new CallTable();
    const l = t.lane();
    l.put('a', 'x', 1);
    l.put('b', 'x', 2);
    l.put('c', 'x', 3);
    l.put('a', 'y', 4); // refilled: now the newest
    l.delete('b');
    const order: string[] = [];
    for (let r = l.oldest(); r !== undefined; r = l.oldest()) {
      order.push(`${callIdOf(r)}@${l.time(r)}`);
      l.clear(r);
    }
    expect(order).toEqual(['c@3', 'a@4']);
    expect([l.size, t.size]).toEqual([0, 0]);
  });

  it('tells whether a bounded lane is full', () => {
    const l = new CallTable().lane({ max: 2 });
    l.put('a', undefined, 0);
    expect(l.full).toBe(false);
    l.put('b', undefined, 0);
    expect(l.full).toBe(true);
    l.put('a', undefined, 1); // a refill is not a new slot
    expect(l.size).toBe(2);
  });

  it('gives a lane made after records exist an empty slot in them', () => {
    const t = new CallTable();
    t.lane().put('a', 'x', 0);
    const late = t.lane();
    expect(late.has('a')).toBe(false);
    late.put('a', 'z', 1);
    expect(late.value(late.find('a')!)).toBe('z');
  });

  it('keeps order and times through compactions of a queue mostly stale', () => {
    const t = new CallTable();
    const l = t.lane();
    l.put('long', 'x', 0); // a long call at the head keeps every later entry queued
    for (let i = 1; i <= 5000; i++) {
      l.put(`c${i % 7}`, 'y', i);
      if (i % 3 === 0) l.delete(`c${(i + 1) % 7}`);
    }
    const seen: [string, number][] = [];
    for (let r = l.oldest(); r !== undefined; r = l.oldest()) {
      seen.push([callIdOf(r), l.time(r)]);
      l.clear(r);
    }
    expect(seen[0]).toEqual(['long', 0]);
    const times = seen.map(([, at]) => at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(seen.length).toBeLessThanOrEqual(8);
    expect(t.size).toBe(0);
  });

  it('matches a Map in insertion order for any sequence of puts and deletes, through compactions', () => {
    const key = fc.integer({ min: 0, max: 40 }).map((n) => `call-${n}`);
    const op = fc.oneof({ arbitrary: fc.record({ put: key }), weight: 6 }, { arbitrary: fc.record({ del: key }), weight: 1 }, { arbitrary: fc.record({ pop: fc.constant(true) }), weight: 1 });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const t = new CallTable();
        const l = t.lane();
        const other = t.lane(); // a second lane keeps some records alive
        other.put('call-0', undefined, 0);
        const ref = new Map<string, number>();
        let now = 0;
        for (const o of ops) {
          now++;
          if ('put' in o) {
            ref.delete(o.put);
            ref.set(o.put, now);
            l.put(o.put, String(now), now);
          } else if ('del' in o) {
            expect(l.delete(o.del)).toBe(ref.delete(o.del));
          } else {
            const first = ref.keys().next();
            const r = l.oldest();
            expect((r === undefined ? undefined : callIdOf(r))).toBe(first.done === true ? undefined : first.value);
            if (r !== undefined) {
              expect([l.time(r), l.value(r)]).toEqual([ref.get(callIdOf(r)), String(ref.get(callIdOf(r)))]);
              ref.delete(callIdOf(r));
              l.clear(r);
            }
          }
          expect(l.size).toBe(ref.size);
        }
        const rest: string[] = [];
        for (let r = l.oldest(); r !== undefined; r = l.oldest()) {
          rest.push(callIdOf(r));
          l.clear(r);
        }
        expect(rest).toEqual([...ref.keys()]);
        expect(t.size).toBe(1);
      }),
      { numRuns: 60 },
    );
  });
});
