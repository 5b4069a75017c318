import { describe, expect, it } from 'vitest';
import { AffinityTable, DEFAULT_AFFINITY_OPTIONS } from '../../../src/balance/affinity.js';
import { AffinityTable as FromCallLoad } from '../../../src/balance/call-load.js';

describe('AffinityTable', () => {
  it('lives 64·T1 = 32 s by default (RFC 3261 §17.1.1.2)', () => {
    expect(DEFAULT_AFFINITY_OPTIONS.ttlMs).toBe(32_000);
    expect(FromCallLoad).toBe(AffinityTable);
    const t = new AffinityTable();
    t.set('c1', 'a', 1000);
    expect(t.get('c1', 1000)).toBe('a');
    expect(t.get('c1', 32_999)).toBe('a');
    expect(t.get('c1', 33_000)).toBeUndefined();
    expect(t.size).toBe(0); // an expired entry found by get is removed
  });

  it('refreshes the TTL on set and rebinds', () => {
    const t = new AffinityTable({ ttlMs: 100 });
    t.set('c1', 'a', 0);
    t.set('c1', 'b', 90);
    expect(t.get('c1', 150)).toBe('b');
    expect(t.size).toBe(1);
  });

  it('sweeps expired entries and stops at the first live one', () => {
    const t = new AffinityTable({ ttlMs: 100 });
    t.set('c1', 'a', 0);
    t.set('c2', 'a', 10);
    t.set('c3', 'b', 50);
    expect(t.sweep(100)).toBe(1);
    expect(t.sweep(111)).toBe(1);
    expect(t.size).toBe(1);
    expect(t.get('c3', 111)).toBe('b');
    expect(t.sweep(1000)).toBe(1);
    expect(t.size).toBe(0);
  });

  it('is bounded: when full the oldest entry is evicted and counted', () => {
    const t = new AffinityTable({ maxEntries: 3, ttlMs: 1000 });
    t.set('c1', 'a', 0);
    t.set('c2', 'a', 1);
    t.set('c3', 'a', 2);
    t.set('c1', 'b', 3); // refresh: c1 becomes the newest, size unchanged
    expect([t.size, t.evicted]).toEqual([3, 0]);
    t.set('c4', 'a', 4);
    expect([t.size, t.evicted]).toEqual([3, 1]);
    expect(t.get('c2', 5)).toBeUndefined(); // the oldest went
    expect([t.get('c3', 5), t.get('c1', 5), t.get('c4', 5)]).toEqual(['a', 'b', 'a']);
  });

  it('deletes a binding', () => {
    const t = new AffinityTable();
    t.set('c1', 'a', 0);
    expect(t.delete('c1')).toBe(true);
    expect(t.delete('c1')).toBe(false);
    expect(t.get('c1', 1)).toBeUndefined();
  });
});
