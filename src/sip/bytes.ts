/**
 * @module sip/bytes
 * Byte-level lexing primitives shared by the SIP parsers: character classes from the RFC 3261
 * §25.1 ABNF as 256-entry lookup tables, whitespace skipping, case-insensitive comparison of
 * buffer bytes against ASCII literals, and string interning for the few tokens every message
 * carries (methods, transports, parameter names), so the hot path allocates no string for them.
 * Every function here is total: out-of-range offsets read as `undefined`, never throw.
 */
export const SP = 0x20;
export const HTAB = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const EQUAL = 0x3d;
export const SLASH = 0x2f;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const AT = 0x40;
export const QMARK = 0x3f;

function table(chars: string, ranges: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const t = new Uint8Array(256);
  for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) t[c] = 1;
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALNUM: ReadonlyArray<readonly [number, number]> = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** `token` (§25.1): alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~". */
export const TOKEN = table("-.!%*_+`'~", ALNUM);

/**
 * Characters of a generic parameter value: `token` plus the `host` characters ":" "[" "]" so that
 * `received=2001:db8::1` and `maddr=[::1]` read as one value (§20.42 via-received, §19.1.1).
 */
export const PARAM_VALUE = table("-.!%*_+`'~:[]", ALNUM);

/**
 * Characters of a Via parameter value as siplb reads it: any visible byte (UTF-8 included) but the
 * separators ';' ',' and '"'. Stricter than nothing, looser than `token`: a `branch`
 * holding '@' or '/' (Kamailio forwards such) is not siplb's to judge, only to pass on (§16.6).
 */
export const VIA_PARAM_VALUE = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0xff; c++) if (c !== 0x3b && c !== 0x2c && c !== 0x22 && c !== 0x7f) t[c] = 1;
  return t;
})();

/** Characters allowed in a hostname, IPv4 address or (inside brackets) an IPv6 address (§25.1). */
export const HOST = table('-._', ALNUM);

/** `word` (§25.1) used by Call-ID: token plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}", and "@". */
export const CALLID = table('-.!%*_+`\'~()<>:\\"/[]?{}@', ALNUM);

export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** SP, HTAB, CR or LF: inside a (possibly folded) header value all four are linear white space (§7.3.1). */
export function isLws(c: number | undefined): boolean {
  return c === SP || c === HTAB || c === CR || c === LF;
}

/** First offset in [pos, end) that is not LWS, or `end`. */
export function skipLws(buf: Buffer, pos: number, end: number): number {
  while (pos < end && isLws(buf[pos])) pos++;
  return pos;
}

/** Offset just past the last non-LWS byte of [start, end), or `start`. */
export function trimLwsEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && isLws(buf[end - 1])) end--;
  return end;
}

/** First offset in [pos, end) whose byte is not in `t`, or `end`. */
export function skipClass(buf: Buffer, pos: number, end: number, t: Uint8Array): number {
  while (pos < end && t[buf[pos] ?? 0] === 1) pos++;
  return pos;
}

/** ASCII lower-case of one byte; non-letters unchanged. */
export function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Whether buf[start, end) equals `lit` (a lower-case ASCII literal), ignoring ASCII case. */
export function eqLower(buf: Buffer, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    if (lowerByte(buf[start + i] ?? 0) !== lit.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether buf[start, end) equals `lit` exactly (case-sensitive). */
export function eqExact(buf: Buffer, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    if (buf[start + i] !== lit.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether two byte ranges of the same buffer hold the same bytes. */
export function eqRanges(buf: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = aEnd - a;
  if (n !== bEnd - b) return false;
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/**
 * Node's own per-encoding Buffer methods. Not in @types/node, but present on every supported Node
 * (they back `toString`/`write`); calling them directly skips the encoding dispatch on the hot path.
 */
interface Latin1Methods {
  latin1Slice?(start: number, end: number): string;
  latin1Write?(s: string, offset: number): number;
}
const proto = Buffer.prototype as Latin1Methods;
const HAS_LATIN1_SLICE = typeof proto.latin1Slice === 'function';
const HAS_LATIN1_WRITE = typeof proto.latin1Write === 'function';

/** buf[start, end) as a latin1 string: one byte, one UTF-16 unit, so bytes round-trip exactly. */
export function latin1(buf: Buffer, start: number, end: number): string {
  if (end <= start) return '';
  return HAS_LATIN1_SLICE ? (buf as Latin1Methods).latin1Slice!(start, end) : buf.toString('latin1', start, end);
}

/**
 * A direct-mapped cache of recently decoded short strings. Most of the short strings a proxy
 * decodes repeat from message to message (the host of every peer's Via and URI, the user part of
 * a service URI, `transport=udp`): hashing and comparing a few bytes in JS is cheaper than
 * crossing into C++ to allocate a new string — up to ~16 bytes. Longer strings (Call-IDs, URIs)
 * cost more to hash in JS than to copy (bench: 9 bytes 74 vs 156 ns, 26 bytes 220 vs 135 ns), so
 * they bypass the cache. A miss costs the hash and one slot write; the table never grows.
 */
const INTERN_SLOTS = 512; // a power of two: the slot is the hash masked
const INTERN_MAX_LENGTH = 16;
const internSlots = new Array<string>(INTERN_SLOTS).fill('');

/** buf[start, end) as latin1 through the short-string cache: hosts, users, parameter values. */
export function internLatin1(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n > INTERN_MAX_LENGTH) return latin1(buf, start, end);
  // FNV-1a over the bytes, folded to the table size.
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] ?? 0), 0x01000193);
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const cached = internSlots[slot] ?? '';
  if (cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return cached;
  }
  const fresh = latin1(buf, start, end);
  internSlots[slot] = fresh;
  return fresh;
}

/** Writes `s` into `buf` at `offset` as latin1 (one byte per char); returns the bytes written. */
export function writeLatin1(buf: Buffer, s: string, offset: number): number {
  return HAS_LATIN1_WRITE ? (buf as Latin1Methods).latin1Write!(s, offset) : buf.write(s, offset, 'latin1');
}

/** Case-sensitive methods of RFC 3261 §7.1 and common extensions, handed out without allocating. */
const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];

/** Known methods by token length. */
const METHODS_BY_LENGTH = byLength(METHODS);

/** Tokens grouped by length, so a lookup compares against the few of the right length only. */
function byLength(words: readonly string[]): readonly (readonly string[])[] {
  const longest = Math.max(...words.map((w) => w.length));
  const out: string[][] = [];
  for (let n = 0; n <= longest; n++) out.push(words.filter((w) => w.length === n));
  return out;
}

/**
 * The entry of `table` (from {@link byLength}) that buf[start, end) spells, or undefined.
 * `caseless`: entries are lower case and the bytes match in any case.
 */
function findToken(table: readonly (readonly string[])[], buf: Buffer, start: number, end: number, caseless: boolean): string | undefined {
  const candidates = table[end - start];
  if (candidates === undefined) return undefined;
  const c0 = caseless ? lowerByte(buf[start] ?? 0) : buf[start];
  for (let i = 0; i < candidates.length; i++) {
    const w = candidates[i]!;
    if (w.charCodeAt(0) === c0 && (caseless ? eqLower(buf, start, end, w) : eqExact(buf, start, end, w))) return w;
  }
  return undefined;
}

/** The method token buf[start, end) as a string; known methods come from a constant table. */
export function methodString(buf: Buffer, start: number, end: number): string {
  return findToken(METHODS_BY_LENGTH, buf, start, end, false) ?? latin1(buf, start, end);
}

/** Transport tokens of §20.42 (plus RFC 7118 WS/WSS, RFC 4168 SCTP), matched case-insensitively. */
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS', 'TLS-SCTP', 'DTLS'];
const TRANSPORTS_LC = TRANSPORTS.map((t) => t.toLowerCase());

/** Upper-cased transport token; known ones come from a constant table. */
export function transportString(buf: Buffer, start: number, end: number): string {
  for (let i = 0; i < TRANSPORTS_LC.length; i++) {
    if (eqLower(buf, start, end, TRANSPORTS_LC[i] ?? '')) return TRANSPORTS[i] ?? '';
  }
  return latin1(buf, start, end).toUpperCase();
}

const PARAM_NAMES = ['branch', 'received', 'rport', 'maddr', 'ttl', 'tag', 'lr', 'transport', 'user', 'method', 'expires', 'q', 'ob', 'alias'];
const PARAM_NAMES_BY_LENGTH = byLength(PARAM_NAMES);

/** Lower-cased parameter name; the common ones come from a constant table. */
export function paramName(buf: Buffer, start: number, end: number): string {
  return findToken(PARAM_NAMES_BY_LENGTH, buf, start, end, true) ?? latin1(buf, start, end).toLowerCase();
}

/**
 * Unsigned decimal in buf[start, end): all digits, at most `maxDigits` of them, else -1.
 * Leading zeros are allowed (1*DIGIT, §25.1).
 */
export function parseUint(buf: Buffer, start: number, end: number, maxDigits: number): number {
  if (end <= start || end - start > maxDigits) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/**
 * End of a quoted-string (§25.1) whose opening DQUOTE is at `pos`: the offset just past the closing
 * DQUOTE, or -1 when unterminated within [pos, end). A backslash escapes the next byte.
 */
export function quotedEnd(buf: Buffer, pos: number, end: number): number {
  for (let i = pos + 1; i < end; i++) {
    const c = buf[i];
    if (c === BACKSLASH) i++;
    else if (c === DQUOTE) return i + 1;
  }
  return -1;
}
