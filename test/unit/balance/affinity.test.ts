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

  describe('per-entry expiry (setUntil)', () => {
    it('keeps an entry until its own expiry, whatever ttlMs says', () => {
      const t = new AffinityTable({ ttlMs: 100 });
      t.setUntil('aor1', 'a', 5000);
      t.set('c1', 'b', 0); // the table's TTL: until 100
      expect(t.get('aor1', 4999)).toBe('a');
      expect(t.get('c1', 100)).toBeUndefined();
      expect(t.get('aor1', 5000)).toBeUndefined();
      expect(t.size).toBe(0);
    });

    it('a refresh moves the entry to the end and replaces its expiry', () => {
      const t = new AffinityTable({ maxEntries: 2 });
      t.setUntil('x', 'a', 100);
      t.setUntil('y', 'a', 200);
      t.setUntil('x', 'b', 50); // refreshed with an earlier expiry: y is now the oldest
      t.setUntil('z', 'c', 300);
      expect(t.evicted).toBe(1);
      expect([t.get('x', 10), t.get('y', 10), t.get('z', 10)]).toEqual(['b', undefined, 'c']);
      expect(t.get('x', 50)).toBeUndefined();
    });

    it('sweeps from the oldest and stops at the first live entry; get still finds one left behind expired', () => {
      const t = new AffinityTable();
      t.setUntil('early', 'a', 100);
      t.setUntil('long', 'a', 10_000);
      t.setUntil('short', 'b', 200); // expires before 'long' but sits behind it
      expect(t.sweep(500)).toBe(1); // 'early' only: the walk stops at 'long'
      expect(t.size).toBe(2);
      expect(t.get('short', 500)).toBeUndefined(); // expired all the same, and removed
      expect(t.size).toBe(1);
      expect(t.sweep(10_000)).toBe(1);
      expect(t.size).toBe(0);
    });
  });
});
