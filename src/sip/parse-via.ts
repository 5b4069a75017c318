/**
 * @module sip/parse-via
 * Via values (RFC 3261 §20.42, ABNF §25.1 `via-parm`):
 * `SIP / 2.0 / transport LWS sent-by *( SEMI via-params )`, where `sent-by = host [ COLON port ]`
 * and SLASH / COLON / SEMI may carry whitespace on both sides. Several values may share one
 * header line, separated by commas (§7.3.1), and quoted parameter values may contain commas.
 * `rport` is RFC 3581: bare in a request, `rport=port` once a server filled it in.
 */
import type { Param, Span, Via } from './message.js';
import {
  COLON,
  COMMA,
  DQUOTE,
  EQUAL,
  HOST,
  LBRACKET,
  SEMI,
  SLASH,
  TOKEN,
  VIA_PARAM_VALUE,
  eqLower,
  internLatin1,
  isDigit,
  latin1,
  paramName,
  parseUint,
  quotedEnd,
  skipClass,
  skipLws,
  transportString,
} from './bytes.js';
import { ipv6RefEnd } from './parse-uri.js';

/** The parameter list of a Via without parameters (RFC 2543 peers): one shared frozen array. */
const NO_VIA_PARAMS: readonly Param[] = Object.freeze([]);

/** Offset of the ',' or end following the value last returned by {@link scanVia}. */
let viaNext = 0;

/** `SWS "/" SWS` (§25.1 SLASH) at `pos`: offset after it, or -1. */
function slash(buf: Buffer, pos: number, end: number): number {
  const p = skipLws(buf, pos, end);
  return p < end && buf[p] === SLASH ? skipLws(buf, p + 1, end) : -1;
}

/**
 * What {@link scanParams} found besides the end offset: the first valued `branch` (its byte
 * range) and `received`, the first `rport`. Module state, like {@link viaNext}: the scan makes no
 * object for them.
 */
let branchStart = -1;
let branchEnd = -1;
let received: string | undefined;
let rport: number | null | undefined;

/** The parameter {@link scanParams} was asked to find, when found. */
let found: Param | undefined;

/**
 * `*( SEMI via-params )` from `pos` (just past sent-by) to `end`: the offset just past the last
 * parameter (or `pos`), or -1 when one is malformed. With `out`, each parameter is appended to it;
 * with `want` (a lower-case name), the scan stops at the first parameter of that name and leaves
 * it in {@link found}; with neither, only the module state above is set (the parse of every
 * message makes no parameter objects: the proxy reads the few it needs by name).
 */
function scanParams(buf: Buffer, pos: number, end: number, out: Param[] | undefined, want: string | undefined): number {
  branchStart = -1;
  branchEnd = -1;
  received = undefined;
  rport = undefined;
  let last = pos; // end of the last consumed non-whitespace byte
  for (;;) {
    const p = skipLws(buf, last, end);
    if (p >= end || buf[p] !== SEMI) return last;
    const ns = skipLws(buf, p + 1, end);
    const ne = skipClass(buf, ns, end, TOKEN);
    if (ne === ns) return -1;
    let vs = -1;
    last = ne;
    const r = skipLws(buf, ne, end);
    if (r < end && buf[r] === EQUAL) {
      vs = skipLws(buf, r + 1, end);
      let ve: number;
      if (vs < end && buf[vs] === DQUOTE) {
        ve = quotedEnd(buf, vs, end);
        if (ve < 0) return -1;
      } else {
        ve = skipClass(buf, vs, end, VIA_PARAM_VALUE);
        if (ve === vs) return -1;
      }
      last = ve;
    }
    if (out !== undefined) {
      const name = paramName(buf, ns, ne);
      out.push({ name, value: paramValue(buf, name, vs, last), span: { start: ns, end: last } });
    } else if (want !== undefined) {
      if (eqLower(buf, ns, ne, want)) {
        found = { name: want, value: paramValue(buf, want, vs, last), span: { start: ns, end: last } };
        return last;
      }
    } else if (eqLower(buf, ns, ne, 'branch')) {
      if (branchStart < 0 && vs >= 0) {
        branchStart = vs;
        branchEnd = last;
      }
    } else if (eqLower(buf, ns, ne, 'received')) {
      if (received === undefined && vs >= 0) received = internLatin1(buf, vs, last);
    } else if (rport === undefined && eqLower(buf, ns, ne, 'rport')) {
      if (vs < 0) rport = null;
      else {
        const n = parseUint(buf, vs, last, 5);
        if (n < 0 || n > 65535) return -1;
        rport = n;
      }
    }
  }
}

/** A parameter's value as text (`vs` < 0: a flag parameter, no value). */
function paramValue(buf: Buffer, name: string, vs: number, end: number): string | undefined {
  if (vs < 0) return undefined;
  // branch values are unique per transaction: not worth a cache slot.
  return name === 'branch' ? latin1(buf, vs, end) : internLatin1(buf, vs, end);
}

/**
 * One parsed Via value. The parse checks every parameter but keeps only what the proxy reads on
 * every message (branch as a byte range, received, rport); the parameter list and the branch
 * string are made on first use: a Via of a parameter object, a span and a string per parameter
 * was a sixth of the bytes a message allocated (bench/PERF-NOTES.md session 10).
 */
class ParsedVia implements Via {
  readonly fieldIndex: number;
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly branchStart: number;
  readonly branchEnd: number;
  readonly received: string | undefined;
  readonly rport: number | null | undefined;
  readonly buf: Buffer;
  readonly #start: number;
  readonly #end: number;
  /** Offset just past sent-by, where the parameters begin. */
  readonly #paramsFrom: number;
  #span: Span | undefined;
  #branch: string | undefined | null = null;
  #params: readonly Param[] | undefined;

  constructor(buf: Buffer, fieldIndex: number, start: number, end: number, paramsFrom: number, transport: string, host: string, port: number | undefined) {
    this.fieldIndex = fieldIndex;
    this.transport = transport;
    this.host = host;
    this.port = port;
    this.branchStart = branchStart;
    this.branchEnd = branchEnd;
    this.received = received;
    this.rport = rport;
    this.buf = buf;
    this.#start = start;
    this.#end = end;
    this.#paramsFrom = paramsFrom;
  }

  get span(): Span {
    return (this.#span ??= { start: this.#start, end: this.#end });
  }

  get branch(): string | undefined {
    if (this.#branch === null) this.#branch = this.branchStart < 0 ? undefined : latin1(this.buf, this.branchStart, this.branchEnd);
    return this.#branch;
  }

  get params(): readonly Param[] {
    if (this.#params === undefined) {
      if (this.#paramsFrom === this.#end) this.#params = NO_VIA_PARAMS;
      else {
        const out: Param[] = [];
        scanParams(this.buf, this.#paramsFrom, this.#end, out, undefined);
        this.#params = out;
      }
    }
    return this.#params;
  }

  param(name: string): Param | undefined {
    const ps = this.#params;
    if (ps !== undefined) {
      for (let i = 0; i < ps.length; i++) if (ps[i]!.name === name) return ps[i];
      return undefined;
    }
    // Without the whole list: scan for this one parameter (the proxy reads one or two by name).
    found = undefined;
    scanParams(this.buf, this.#paramsFrom, this.#end, undefined, name);
    const p = found;
    found = undefined;
    return p;
  }

  branchStartsWith(prefix: string): boolean {
    const s = this.branchStart;
    if (s < 0 || this.branchEnd - s < prefix.length) return false;
    const buf = this.buf;
    for (let i = 0; i < prefix.length; i++) if (buf[s + i] !== prefix.charCodeAt(i)) return false;
    return true;
  }
}

/**
 * One Via value starting at (or after whitespace from) `pos`. On success {@link viaNext} is left
 * at the following ',' or at `end`.
 */
function scanVia(buf: Buffer, pos: number, end: number, fieldIndex: number): Via | undefined {
  let p = skipLws(buf, pos, end);
  const start = p;
  // sent-protocol: protocol-name SLASH protocol-version SLASH transport
  let q = skipClass(buf, p, end, TOKEN);
  if (!eqLower(buf, p, q, 'sip')) return undefined;
  p = slash(buf, q, end);
  if (p < 0) return undefined;
  q = skipClass(buf, p, end, TOKEN);
  if (!eqLower(buf, p, q, '2.0')) return undefined;
  p = slash(buf, q, end);
  if (p < 0) return undefined;
  q = skipClass(buf, p, end, TOKEN);
  if (q === p) return undefined;
  const transport = transportString(buf, p, q);

  // LWS sent-by
  p = skipLws(buf, q, end);
  if (p === q) return undefined;
  let host: string;
  if (buf[p] === LBRACKET) {
    q = ipv6RefEnd(buf, p, end);
    if (q < 0) return undefined;
    host = internLatin1(buf, p + 1, q - 1);
  } else {
    q = skipClass(buf, p, end, HOST);
    if (q === p) return undefined;
    host = internLatin1(buf, p, q);
  }
  let port: number | undefined;
  let last = q; // end of the last consumed non-whitespace byte
  p = skipLws(buf, q, end);
  if (p < end && buf[p] === COLON) {
    const ps = skipLws(buf, p + 1, end);
    let pe = ps;
    while (pe < end && isDigit(buf[pe])) pe++;
    const n = parseUint(buf, ps, pe, 5);
    if (n < 0 || n > 65535) return undefined;
    port = n;
    last = pe;
  }

  const paramsFrom = last;
  last = scanParams(buf, paramsFrom, end, undefined, undefined);
  if (last < 0) return undefined;
  const next = skipLws(buf, last, end);
  if (next < end && buf[next] !== COMMA) return undefined;
  viaNext = next;
  return new ParsedVia(buf, fieldIndex, start, last, paramsFrom, transport, host, port);
}

/** The first Via value of a Via header line's value buf[start, end), or `undefined` when malformed. */
export function parseFirstVia(buf: Buffer, start: number, end: number, fieldIndex: number): Via | undefined {
  const v = scanVia(buf, start, end, fieldIndex);
  // A trailing ",," or "," with nothing after it makes the line malformed even if the first value is fine.
  if (v !== undefined && viaNext < end && skipLws(buf, viaNext + 1, end) >= end) return undefined;
  return v;
}

/** Appends every Via value of one header line to `out`; false when any value is malformed or empty. */
export function parseViaLine(buf: Buffer, start: number, end: number, fieldIndex: number, out: { push(v: Via): unknown }): boolean {
  let p = start;
  for (;;) {
    const v = scanVia(buf, p, end, fieldIndex);
    if (v === undefined) return false;
    out.push(v);
    if (viaNext >= end) return true;
    p = viaNext + 1;
  }
}
