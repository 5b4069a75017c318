import { describe, expect, it } from 'vitest';
import { BackendCounts } from '../../../src/balance/backend-counts.js';

describe('BackendCounts', () => {
  it('counts per backend through its cells, drops a cell at zero and makes a fresh one after', () => {
    const c = new BackendCounts();
    const a1 = c.add('gw1');
    const a2 = c.add('gw1');
    const b = c.add('gw2');
    expect(a1).toBe(a2);
    expect([c.of('gw1'), c.of('gw2'), c.of('gw3')]).toEqual([2, 1, 0]);
    c.release(a1);
    c.release(b);
    expect([c.of('gw1'), c.of('gw2')]).toEqual([1, 0]);
    c.release(a2);
    expect(c.of('gw1')).toBe(0);
    const again = c.add('gw1');
    expect(again).not.toBe(a1);
    expect(c.of('gw1')).toBe(1);
  });
});
