/**
 * @module security/ip
 * IP address text → numbers, without allocating, for the per-datagram source checks. IPv4 becomes
 * one unsigned 32-bit number; IPv6 fills a caller-owned array of eight 16-bit groups (RFC 4291
 * §2.2 text forms: `::` compression, embedded dotted IPv4, and IPv4-mapped `::ffff:a.b.c.d`).
 * Pure: no I/O.
 */

/** `a.b.c.d` (from `start`) as an unsigned 32-bit number, or -1 when it is not a dotted quad. */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // No leading zeros beyond a lone 0 (an octal-looking "010" is not what it seems).
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * Parses IPv6 text into `out` (eight groups). Returns false when it is not an IPv6 address.
 * A zone (`%eth0`) is ignored: scopes do not matter for source filtering.
 */
export function parseIpv6(s: string, out: Uint16Array): boolean {
  let end = s.indexOf('%');
  if (end === -1) end = s.length;
  let n = 0; // groups written
  let gap = -1; // index in out where '::' stands
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
    if (i === end) {
      out.fill(0);
      return true;
    }
  } else if (s.charCodeAt(0) === 58) return false;
  while (i < end) {
    // An embedded IPv4 tail takes the last two groups.
    let j = i;
    let hex = 0;
    let digits = 0;
    let isV4 = false;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : c === 46 ? -2 : -1;
      if (d === -2) {
        isV4 = true;
        break;
      }
      if (d === -1) break;
      hex = hex * 16 + d;
      if (++digits > 4) return false;
    }
    if (isV4) {
      const v4 = parseIpv4(s, i, end);
      if (v4 < 0 || n > 6) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || n >= 8) return false;
    out[n++] = hex;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (gap !== -1) return false;
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return false; // trailing single ':'
    }
  }
  if (gap === -1) return n === 8;
  if (n >= 8) return false;
  // Move the groups after '::' to the end and zero the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96), else -1. */
export function mappedIpv4(g: Uint16Array): number {
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0xffff) return -1;
  return g[6]! * 65536 + g[7]!;
}
