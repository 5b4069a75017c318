import { describe, expect, it } from 'vitest';
import { BufferSlabs } from '../../../src/sip/buffer-slabs.js';

describe('BufferSlabs', () => {
  it('carves 8-byte aligned, non-overlapping pieces from one slab until it is full, then from a new one', () => {
    const s = new BufferSlabs(64, 32);
    const a = s.alloc(10);
    const b = s.alloc(20);
    expect(a.buffer).toBe(b.buffer);
    expect([a.byteOffset, b.byteOffset]).toEqual([0, 16]);
    a.fill(1);
    b.fill(2);
    expect(a.every((x) => x === 1)).toBe(true);
    const c = s.alloc(30); // 40 + 30 > 64: a new slab
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.byteOffset).toBe(0);
    expect(c.buffer.byteLength).toBe(64);
  });

  it('gives a piece over maxPiece a buffer of its own', () => {
    const s = new BufferSlabs(64, 32);
    const big = s.alloc(33);
    expect(big.length).toBe(33);
    expect(big.buffer.byteLength).toBe(33);
    expect(s.alloc(8).byteOffset).toBe(0); // the slab was not touched
  });
});
