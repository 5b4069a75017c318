import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CallLoad, DEFAULT_CALL_LOAD_OPTIONS } from '../../../src/balance/call-load.js';

describe('CallLoad', () => {
  it('counts established calls per backend and forgets ended ones', () => {
    const l = new CallLoad();
    expect(l.established('c1', 'a', 0)).toBe(true);
    expect(l.established('c2', 'a', 1)).toBe(true);
    expect(l.established('c3', 'b', 2)).toBe(true);
    expect([l.active('a'), l.active('b'), l.active('zz'), l.size]).toEqual([2, 1, 0, 3]);
    expect(l.backendOf('c3')).toBe('b');
    expect(l.ended('c1', 3)).toBe(true);
    expect([l.active('a'), l.size]).toEqual([1, 2]);
  });

  it('counts a backend down to zero and up again, each backend on its own', () => {
    const l = new CallLoad();
    l.established('c1', 'a', 0);
    l.established('c2', 'b', 0);
    l.ended('c1', 1);
    expect([l.active('a'), l.active('b'), l.backendOf('c1'), l.backendOf('c2')]).toEqual([0, 1, undefined, 'b']);
    l.established('c3', 'a', 2);
    l.established('c4', 'a', 3);
    expect([l.active('a'), l.backendOf('c4')]).toEqual([2, 'a']);
    l.ended('c3', 4);
    l.ended('c2', 4);
    expect([l.active('a'), l.active('b'), l.size]).toEqual([1, 0, 1]);
  });

  it('is idempotent: a retransmitted 2xx and a repeated BYE count once', () => {
    const l = new CallLoad();
    l.established('c1', 'a', 0);
    expect(l.established('c1', 'a', 500)).toBe(true); // 2xx retransmission (RFC 3261 §13.3.1.4)
    expect(l.established('c1', 'b', 600)).toBe(true); // a stray 2xx from elsewhere: first one wins
    expect([l.active('a'), l.active('b'), l.size]).toEqual([1, 0, 1]);
    expect(l.ended('c1', 1000)).toBe(true);
    expect(l.ended('c1', 1500)).toBe(false); // BYE retransmission
    expect(l.ended('never-seen', 1500)).toBe(false);
    expect([l.active('a'), l.size]).toEqual([0, 0]);
  });

  it('expires calls older than maxCallDurationMs, oldest first, and returns their Call-IDs', () => {
    const l = new CallLoad({ maxCallDurationMs: 5000 });
    l.established('old', 'a', 0);
    l.established('mid', 'b', 1000);
    l.established('new', 'a', 4000);
    expect(l.expire(5000)).toEqual([]); // exactly maxCallDurationMs old: not yet
    expect(l.expire(6500)).toEqual(['old', 'mid']);
    expect([l.active('a'), l.active('b'), l.size]).toEqual([1, 0, 1]);
    expect(l.ended('old', 7000)).toBe(false); // its late BYE is harmless
    expect(l.active('a')).toBe(1);
    // A retransmitted 2xx does not reset the age of a call.
    l.established('new', 'a', 8000);
    expect(l.expire(9001)).toEqual(['new']);
  });

  it('defaults to 2 h and 100 000 entries', () => {
    expect(DEFAULT_CALL_LOAD_OPTIONS).toEqual({ maxEntries: 100_000, maxCallDurationMs: 7_200_000 });
  });

  it('refuses new calls when full, counts them, and never evicts a live one', () => {
    const l = new CallLoad({ maxEntries: 2 });
    expect(l.established('c1', 'a', 0)).toBe(true);
    expect(l.established('c2', 'a', 0)).toBe(true);
    expect(l.established('c3', 'b', 0)).toBe(false);
    expect(l.established('c1', 'a', 1)).toBe(true); // already counted: not a refusal
    expect([l.refused, l.size, l.active('a'), l.active('b')]).toEqual([1, 2, 2, 0]);
    l.ended('c1', 2);
    expect(l.established('c3', 'b', 3)).toBe(true);
    expect(l.refused).toBe(1);
  });

  it('never goes negative and active counts always sum to size, for any sequence of events', () => {
    const callId = fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5');
    const backend = fc.constantFrom('a', 'b', 'c');
    const op = fc.oneof(
      fc.record({ t: fc.constant('up' as const), callId, backend }),
      fc.record({ t: fc.constant('down' as const), callId }),
      fc.record({ t: fc.constant('expire' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const l = new CallLoad({ maxEntries: 4, maxCallDurationMs: 10 });
        let now = 0;
        for (const o of ops) {
          now += 1;
          if (o.t === 'up') l.established(o.callId, o.backend, now);
          else if (o.t === 'down') l.ended(o.callId, now);
          else l.expire(now);
          const counts = ['a', 'b', 'c'].map((b) => l.active(b));
          if (counts.some((c) => c < 0)) return false;
          if (counts.reduce((s, c) => s + c, 0) !== l.size || l.size > 4) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
