/**
 * @module balance/hash
 * The one non-cryptographic hash of siplb: MurmurHash3 x86_32 (Austin Appleby, public domain
 * algorithm; this is our own TypeScript implementation). Used for ring points and routing keys.
 *
 * Why MurmurHash3: good avalanche and distribution on short keys such as Call-IDs, 32-bit
 * arithmetic only (`Math.imul`, no BigInt), and published test vectors (SMHasher's verification
 * value) so the implementation can be proven.
 *
 * Both entry points hash the UTF-8 bytes of their input, so `hashString(s)` equals
 * `hashBytes(Buffer.from(s, 'utf8'), 0, n)` for every string; for ASCII (all valid Call-IDs,
 * RFC 3261 §25.1 `word`) that means byte for byte. Neither allocates. Not collision resistant:
 * never use it where an attacker gains from collisions beyond skewing one key's placement.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Scramble one 32-bit block before it is mixed into the state. */
function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** Mix one scrambled block into the running state. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Final avalanche; returns an unsigned 32-bit integer. */
function finalize(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 x86_32 of `buf[start, end)`. No allocation, no copy.
 * @returns unsigned 32-bit integer
 */
export function hashBytes(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  const len = end - start;
  const blockEnd = start + (len & ~3);
  let i = start;
  for (; i < blockEnd; i += 4) {
    // Blocks are read little-endian, as the reference implementation does on x86.
    const k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    h = mixBlock(h, k);
  }
  // Tail of 1..3 bytes, little-endian, scrambled without the rotate-multiply-add step.
  const rest = len & 3;
  if (rest > 0) {
    let k = buf[i]!;
    if (rest > 1) k |= buf[i + 1]! << 8;
    if (rest > 2) k |= buf[i + 2]! << 16;
    h ^= scramble(k);
  }
  return finalize(h, len);
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `s`, computed without encoding into a buffer.
 * ASCII strings take a fast path over 4-character blocks; anything else is encoded on the fly
 * exactly as `Buffer.from(s, 'utf8')` would (lone surrogates become U+FFFD).
 * @returns unsigned 32-bit integer
 */
export function hashString(s: string, seed = 0): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  // Fast path: whole 4-byte blocks of ASCII.
  for (; i + 4 <= n; i += 4) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const c = s.charCodeAt(i + 2);
    const d = s.charCodeAt(i + 3);
    if ((a | b | c | d) > 0x7f) return hashUtf8From(s, i, h);
    h = mixBlock(h, a | (b << 8) | (c << 16) | (d << 24));
  }
  const rest = n - i;
  if (rest > 0) {
    let k = 0;
    for (let j = 0; j < rest; j++) {
      const c = s.charCodeAt(i + j);
      if (c > 0x7f) return hashUtf8From(s, i, h);
      k |= c << (8 * j);
    }
    h ^= scramble(k);
  }
  return finalize(h, n);
}

/**
 * Slow path of {@link hashString}: continue from character `from` (a block boundary; `from`
 * ASCII characters hashed so far into state `h`), encoding UTF-8 byte by byte.
 */
function hashUtf8From(s: string, from: number, h: number): number {
  let k = 0;
  let filled = 0;
  let len = from; // everything before `from` was ASCII: one byte per character
  const push = (byte: number): void => {
    k |= byte << (8 * filled);
    filled++;
    len++;
    if (filled === 4) {
      h = mixBlock(h, k);
      k = 0;
      filled = 0;
    }
  };
  const n = s.length;
  for (let i = from; i < n; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd; // lone surrogate, as TextEncoder and Buffer.from do
      }
    }
    if (cp < 0x80) {
      push(cp);
    } else if (cp < 0x800) {
      push(0xc0 | (cp >> 6));
      push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      push(0xe0 | (cp >> 12));
      push(0x80 | ((cp >> 6) & 0x3f));
      push(0x80 | (cp & 0x3f));
    } else {
      push(0xf0 | (cp >> 18));
      push(0x80 | ((cp >> 12) & 0x3f));
      push(0x80 | ((cp >> 6) & 0x3f));
      push(0x80 | (cp & 0x3f));
    }
  }
  if (filled > 0) h ^= scramble(k);
  return finalize(h, len);
}
