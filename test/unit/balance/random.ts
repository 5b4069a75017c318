/**
 * @module test/unit/balance/random
 * Deterministic test inputs: a seeded PRNG (mulberry32) and Call-ID generators, so property
 * tests over "random" Call-IDs are reproducible run to run.
 */

import { hashString } from '../../../src/balance/hash.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` Call-IDs shaped like `${32 hex}@host` (what many UAs generate). */
export function randomCallIds(count: number, seed: number): string[] {
  const rnd = mulberry32(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    let hex = '';
    for (let j = 0; j < 4; j++) hex += Math.floor(rnd() * 0x100000000).toString(16).padStart(8, '0');
    out[i] = `${hex}@10.1.${i & 0xff}.${(i >> 8) & 0xff}`;
  }
  return out;
}

/** The hashes of `count` random Call-IDs, computed once for many ring lookups. */
export function randomCallIdHashes(count: number, seed: number): Uint32Array {
  const ids = randomCallIds(count, seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = hashString(ids[i]!);
  return out;
}
