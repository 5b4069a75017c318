/**
 * @module sip/parse-name-addr
 * name-addr / addr-spec values of To, From, Contact, Route and Record-Route (RFC 3261 §20.10,
 * §25.1): `[display-name] "<" URI ">" *(";" param)` or a bare `addr-spec *(";" param)`.
 * §20.10: when the URI is not enclosed in angle brackets, any `;params` after it are *header*
 * parameters, not URI parameters, so a bare addr-spec ends at the first ';', ',' or whitespace.
 * Comma-separated lists are split only outside quoted strings and angle brackets (§7.3.1).
 */
import type { NameAddr, SipUri, Span } from './message.js';
import {
  BACKSLASH,
  COLON,
  COMMA,
  DQUOTE,
  EQUAL,
  LAQUOT,
  PARAM_VALUE,
  RAQUOT,
  eqLower,
  SEMI,
  TOKEN,
  internLatin1,
  isLws,
  latin1,
  paramName,
  quotedEnd,
  skipClass,
  skipLws,
  trimLwsEnd,
} from './bytes.js';
import { NO_PARAMS, parseSipUri } from './parse-uri.js';

/**
 * A name-addr whose URI is parsed on first read of `uri`: a proxy looks at the URI of the top
 * Route only (§16.4), never at the others. Its header parameters were checked by the parse, but
 * their `Map` is made on first read of `params`: a proxy asks only whether To has a tag
 * ({@link hasHeaderParam}, no `Map`). `uri` and `params` are getters, so a `{...spread}` copy lacks them.
 */
class ParsedNameAddr implements NameAddr {
  readonly #buf: Buffer;
  readonly #uriStart: number;
  readonly #uriEnd: number;
  /** The header parameters: buf[#paramsStart, span.end), already checked well-formed. */
  readonly #paramsStart: number;
  #uri: SipUri | undefined | null = null;
  #params: ReadonlyMap<string, string | undefined> | undefined = undefined;

  constructor(
    buf: Buffer,
    readonly fieldIndex: number,
    readonly span: Span,
    readonly displayName: string | undefined,
    uriStart: number,
    uriEnd: number,
    paramsStart: number,
  ) {
    this.#buf = buf;
    this.#uriStart = uriStart;
    this.#uriEnd = uriEnd;
    this.#paramsStart = paramsStart;
  }

  get params(): ReadonlyMap<string, string | undefined> {
    if (this.#params === undefined) {
      scanParams(this.#buf, this.#paramsStart, this.span.end, COLLECT);
      this.#params = scannedParams;
      scannedParams = NO_PARAMS;
    }
    return this.#params;
  }

  /** Whether a header parameter `name` (lower case) is present: the bytes are scanned, no `Map` made. */
  hasParam(name: string): boolean {
    if (this.#params !== undefined) return this.#params.has(name);
    wanted = name;
    scanParams(this.#buf, this.#paramsStart, this.span.end, FIND);
    const hit = wantedFound;
    wanted = '';
    wantedFound = false;
    return hit;
  }

  #uriText: string | undefined;

  /** Decoded on first read: routing reads `uri` (and that of the top Route only), rarely the text. */
  get uriText(): string {
    return (this.#uriText ??= latin1(this.#buf, this.#uriStart, this.#uriEnd));
  }

  get uri(): SipUri | undefined {
    if (this.#uri === null) this.#uri = parseSipUri(this.#buf, this.#uriStart, this.#uriEnd);
    return this.#uri;
  }
}

/** Offset just past the value last scanned by {@link scanNameAddr}'s trailing whitespace: a ',' or the end. */
let scanNext = 0;

/** The content of a quoted-string with its backslash escapes (quoted-pair, §25.1) resolved. */
function unquote(buf: Buffer, start: number, end: number): string {
  let hasEscape = false;
  for (let i = start; i < end; i++) if (buf[i] === BACKSLASH) hasEscape = true;
  if (!hasEscape) return latin1(buf, start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    if (buf[i] === BACKSLASH && i + 1 < end) i++;
    s += String.fromCharCode(buf[i] ?? 0);
  }
  return s;
}

/** The parameters found by the last {@link scanParams} in {@link COLLECT} mode: {@link NO_PARAMS} or a Map of its own. */
let scannedParams: ReadonlyMap<string, string | undefined> = NO_PARAMS;
/** {@link FIND} mode: the (lower-case) name looked for, and whether it was found. */
let wanted = '';
let wantedFound = false;

/** What {@link scanParams} does besides checking: nothing, collect every parameter, or find {@link wanted}. */
const CHECK = 0;
const COLLECT = 1;
const FIND = 2;
type ScanMode = typeof CHECK | typeof COLLECT | typeof FIND;

/**
 * `*( SEMI generic-param )` from `pos`: returns the offset after the last parameter, or -1 when a
 * parameter is malformed. `gen-value = token / host / quoted-string` (§25.1). In {@link COLLECT}
 * mode the parameters are left in {@link scannedParams} (a name given twice keeps its first
 * value), so the hot path allocates no callback per value; the parse itself only checks
 * ({@link CHECK}: no `Map`, no value decoded).
 */
function scanParams(buf: Buffer, pos: number, end: number, mode: ScanMode): number {
  let params = NO_PARAMS;
  let p = pos;
  for (;;) {
    let q = skipLws(buf, p, end);
    if (q >= end || buf[q] !== SEMI) {
      if (mode === COLLECT) scannedParams = params;
      return p;
    }
    q = skipLws(buf, q + 1, end);
    const ns = q;
    q = skipClass(buf, q, end, TOKEN);
    if (q === ns) return -1;
    const ne = q;
    let value: string | undefined;
    const r = skipLws(buf, q, end);
    if (r < end && buf[r] === EQUAL) {
      const vs = skipLws(buf, r + 1, end);
      let ve: number;
      if (buf[vs] === DQUOTE && vs < end) {
        ve = quotedEnd(buf, vs, end);
        if (ve < 0) return -1;
      } else {
        ve = skipClass(buf, vs, end, PARAM_VALUE);
        if (ve === vs) return -1;
      }
      if (mode === COLLECT) value = internLatin1(buf, vs, ve);
      p = ve;
    } else {
      p = ne;
    }
    if (mode === FIND) {
      if (eqLower(buf, ns, ne, wanted)) wantedFound = true;
    } else if (mode === COLLECT) {
      const name = paramName(buf, ns, ne);
      if (params === NO_PARAMS) params = new Map();
      if (!params.has(name)) (params as Map<string, string | undefined>).set(name, value);
    }
  }
}

/**
 * One name-addr or addr-spec starting at (or after whitespace from) `pos`. On success the value
 * is returned and {@link scanNext} is left at the following ',' or at `end`.
 */
function scanNameAddr(buf: Buffer, pos: number, end: number, fieldIndex: number): NameAddr | undefined {
  let p = skipLws(buf, pos, end);
  if (p >= end) return undefined;
  const start = p;
  let displayName: string | undefined;

  if (buf[p] === DQUOTE) {
    const q = quotedEnd(buf, p, end);
    if (q < 0) return undefined;
    displayName = unquote(buf, p + 1, q - 1);
    p = skipLws(buf, q, end);
    if (buf[p] !== LAQUOT || p >= end) return undefined;
  } else if (buf[p] !== LAQUOT) {
    // Either `token LWS token ... "<"` (display name) or an addr-spec: tokens never contain ':'.
    let t = p;
    while (t < end && (TOKEN[buf[t] ?? 0] === 1 || isLws(buf[t]))) t++;
    if (t < end && buf[t] === LAQUOT) {
      displayName = internLatin1(buf, p, trimLwsEnd(buf, p, t));
      p = t;
    }
  }

  let uriStart: number;
  let uriEnd: number;
  if (buf[p] === LAQUOT && p < end) {
    uriStart = p + 1;
    uriEnd = uriStart;
    while (uriEnd < end && buf[uriEnd] !== RAQUOT) uriEnd++;
    if (uriEnd >= end || uriEnd === uriStart) return undefined;
    p = uriEnd + 1;
  } else {
    // addr-spec (§20.10): ends at ';' (header params follow), ',' (next value) or whitespace.
    uriStart = p;
    let hasColon = false;
    while (p < end) {
      const c = buf[p];
      if (c === SEMI || c === COMMA || isLws(c) || c === LAQUOT || c === RAQUOT || c === DQUOTE) break;
      if (c === COLON) hasColon = true;
      p++;
    }
    uriEnd = p;
    if (!hasColon) return undefined;
  }

  const pEnd = scanParams(buf, p, end, CHECK);
  if (pEnd < 0) return undefined;
  const next = skipLws(buf, pEnd, end);
  if (next < end && buf[next] !== COMMA) return undefined;
  scanNext = next;
  return new ParsedNameAddr(buf, fieldIndex, { start, end: pEnd }, displayName, uriStart, uriEnd, p);
}

/**
 * Whether `na` carries header parameter `name` (lower case), e.g. To's `tag` (§12.1): a parsed
 * value answers from its bytes without making its parameter `Map`.
 */
export function hasHeaderParam(na: NameAddr, name: string): boolean {
  return na instanceof ParsedNameAddr ? na.hasParam(name) : na.params.has(name);
}

/** A header value holding exactly one name-addr/addr-spec (To, From), or `undefined` when malformed. */
export function parseNameAddr(buf: Buffer, start: number, end: number, fieldIndex: number): NameAddr | undefined {
  const v = scanNameAddr(buf, start, end, fieldIndex);
  return v !== undefined && scanNext >= end ? v : undefined;
}

/**
 * Appends every comma-separated value of buf[start, end) (Route, Record-Route, Contact) to `out`.
 * Returns false when any value is malformed or empty.
 */
export function parseNameAddrList(buf: Buffer, start: number, end: number, fieldIndex: number, out: { push(v: NameAddr): unknown }): boolean {
  let p = start;
  for (;;) {
    const v = scanNameAddr(buf, p, end, fieldIndex);
    if (v === undefined) return false;
    out.push(v);
    if (scanNext >= end) return true;
    p = scanNext + 1;
  }
}
