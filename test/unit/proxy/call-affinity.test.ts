import { describe, expect, it } from 'vitest';
import { CallAffinity, RINGING_TTL_MS } from '../../../src/proxy/call-affinity.js';

describe('CallAffinity', () => {
  it('keeps a ringing INVITE pinned past the transaction TTL, until its final response', () => {
    const a = new CallAffinity({ ttlMs: 32_000, maxEntries: 100 });
    a.pin('c1', 'gw1', 0, true);
    // A CANCEL after 2 minutes of ringing still finds the INVITE's backend.
    expect(a.get('c1', 120_000)).toBe('gw1');
    a.settle('c1', 120_000);
    // After the final response: the ACK of a non-2xx within the transaction lifetime...
    expect(a.get('c1', 150_000)).toBe('gw1');
    // ...and then it is gone.
    expect(a.get('c1', 152_001)).toBeUndefined();
  });

  it('drops a ringing entry after Timer C when no final response ever comes', () => {
    const a = new CallAffinity({ ttlMs: 32_000, maxEntries: 100 });
    a.pin('c1', 'gw1', 0, true);
    a.sweep(RINGING_TTL_MS + 1);
    expect(a.get('c1', RINGING_TTL_MS + 1)).toBeUndefined();
    expect(a.size).toBe(0);
  });

  it('gives other requests the transaction lifetime only', () => {
    const a = new CallAffinity({ ttlMs: 32_000, maxEntries: 100 });
    a.pin('r1', 'gw2', 0, false);
    expect(a.get('r1', 31_999)).toBe('gw2');
    a.sweep(32_000);
    expect(a.get('r1', 32_000)).toBeUndefined();
  });

  it('settle of an unknown or settled call is a no-op', () => {
    const a = new CallAffinity({ ttlMs: 1000, maxEntries: 100 });
    a.settle('nope', 0);
    a.pin('c', 'gw1', 0, false);
    a.settle('c', 10);
    expect(a.get('c', 500)).toBe('gw1');
    expect(a.size).toBe(1);
  });
});

describe('CallAffinity bookkeeping', () => {
  it('uses the transaction lifetime and bound it was given for settled entries', () => {
    const a = new CallAffinity({ ttlMs: 5_000, maxEntries: 2 });
    a.pin('s1', 'gw1', 0, false);
    expect(a.get('s1', 4_999)).toBe('gw1');
    expect(a.get('s1', 5_000)).toBeUndefined();
    a.pin('s2', 'gw1', 0, false);
    a.pin('s3', 'gw2', 1, false);
    a.pin('s4', 'gw3', 2, false);
    expect([a.get('s2', 3), a.get('s3', 3), a.get('s4', 3)]).toEqual([undefined, 'gw2', 'gw3']);
  });

  it('forget drops a ringing and a settled pin alike', () => {
    const a = new CallAffinity({ ttlMs: 32_000, maxEntries: 100 });
    a.pin('r', 'gw1', 0, true);
    a.pin('s', 'gw2', 0, false);
    a.forget('r');
    a.forget('s');
    expect([a.get('r', 1), a.get('s', 1), a.size]).toEqual([undefined, undefined, 0]);
  });

  it('sweep frees expired entries of both tables', () => {
    const a = new CallAffinity({ ttlMs: 1_000, maxEntries: 100 });
    a.pin('r', 'gw1', 0, true);
    a.pin('s', 'gw2', 0, false);
    expect(a.size).toBe(2);
    a.sweep(1_000);
    expect(a.size).toBe(1);
    a.sweep(RINGING_TTL_MS);
    expect(a.size).toBe(0);
  });
});
