import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hashBytes, hashString } from '../../../src/balance/hash.js';

// Published MurmurHash3 x86_32 vectors (SMHasher reference implementation; the string vectors
// are the ones widely used to check ports, e.g. on Stack Overflow question 14747343).
const VECTORS: ReadonlyArray<readonly [string, number, number]> = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['ab', 0x9747b28c, 0x74875592],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['aa', 0x9747b28c, 0x5d211726],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['Hello, world!', 0, 0xc0363e43],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
];

/** Strings mixing ASCII, BMP (lone surrogates included) and astral code points. */
const anyUtf16 = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    ),
    { maxLength: 40 },
  )
  .map((cps) => cps.map((c) => String.fromCodePoint(c)).join(''));

describe('MurmurHash3 x86_32', () => {
  it.each(VECTORS)('hashString(%j, %i) matches the published value', (s, seed, want) => {
    expect(hashString(s, seed)).toBe(want);
  });

  it.each(VECTORS)('hashBytes(%j, %i) matches the published value', (s, seed, want) => {
    const b = Buffer.from(s, 'latin1');
    expect(hashBytes(b, 0, b.length, seed)).toBe(want);
  });

  it('hashes all-zero bytes', () => {
    expect(hashBytes(new Uint8Array(4), 0, 4, 0)).toBe(0x2362f9de);
  });

  it("passes SMHasher's verification value 0xB0F57EE3", () => {
    // Hash keys {}, {0}, {0,1}, ... {0..254} with seed 256-i, concatenate the 32-bit results
    // little-endian, hash that with seed 0 (SMHasher KeysetTest.cpp VerificationTest).
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(1024);
    const dv = new DataView(hashes.buffer);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      dv.setUint32(i * 4, hashBytes(key, 0, i, 256 - i), true);
    }
    expect(hashBytes(hashes, 0, 1024, 0)).toBe(0xb0f57ee3);
  });

  it('hashes a sub-range of a buffer without copying it', () => {
    const b = Buffer.from('xxCall-ID: abc@hostyy');
    expect(hashBytes(b, 2, b.length - 2)).toBe(hashString('Call-ID: abc@host'));
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), (s, seed) => {
        const h = hashString(s, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });

  it('hashString equals hashBytes of the UTF-8 bytes for any string (ASCII, BMP, astral, lone surrogates)', () => {
    fc.assert(
      fc.property(anyUtf16, fc.nat(), (s, seed) => {
        const b = Buffer.from(s, 'utf8');
        return hashString(s, seed) === hashBytes(b, 0, b.length, seed);
      }),
      { numRuns: 300 },
    );
  });

  it('is sensitive to every character of a Call-ID', () => {
    const base = 'a84b4c76e66710@pc33.atlanta.example.com';
    const h = hashString(base);
    for (let i = 0; i < base.length; i++) {
      const flipped = base.slice(0, i) + String.fromCharCode(base.charCodeAt(i) ^ 1) + base.slice(i + 1);
      expect(hashString(flipped)).not.toBe(h);
    }
  });
});
