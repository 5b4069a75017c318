/**
 * @module sip/parse-via
 * Via values (RFC 3261 §20.42, ABNF §25.1 `via-parm`):
 * `SIP / 2.0 / transport LWS sent-by *( SEMI via-params )`, where `sent-by = host [ COLON port ]`
 * and SLASH / COLON / SEMI may carry whitespace on both sides. Several values may share one
 * header line, separated by commas (§7.3.1), and quoted parameter values may contain commas.
 * `rport` is RFC 3581: bare in a request, `rport=port` once a server filled it in.
 */
import type { Param, Via } from './message.js';
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

  // *( SEMI via-params )
  // Most Vias carry one to three parameters (branch, rport, received): those are kept in locals
  // and the list is made at its final size, not a growable array of 16 slots for each Via.
  let p0: Param | undefined;
  let p1: Param | undefined;
  let p2: Param | undefined;
  let more: Param[] | undefined;
  let branch: string | undefined;
  let received: string | undefined;
  let rport: number | null | undefined;
  for (;;) {
    p = skipLws(buf, last, end);
    if (p >= end || buf[p] !== SEMI) break;
    const ns = skipLws(buf, p + 1, end);
    const ne = skipClass(buf, ns, end, TOKEN);
    if (ne === ns) return undefined;
    const name = paramName(buf, ns, ne);
    let value: string | undefined;
    last = ne;
    const r = skipLws(buf, ne, end);
    if (r < end && buf[r] === EQUAL) {
      const vs = skipLws(buf, r + 1, end);
      let ve: number;
      if (vs < end && buf[vs] === DQUOTE) {
        ve = quotedEnd(buf, vs, end);
        if (ve < 0) return undefined;
      } else {
        ve = skipClass(buf, vs, end, VIA_PARAM_VALUE);
        if (ve === vs) return undefined;
      }
      // branch values are unique per transaction: not worth a cache slot.
      value = name === 'branch' ? latin1(buf, vs, ve) : internLatin1(buf, vs, ve);
      last = ve;
    }
    const param: Param = { name, value, span: { start: ns, end: last } };
    if (p0 === undefined) p0 = param;
    else if (p1 === undefined) p1 = param;
    else if (p2 === undefined) p2 = param;
    else (more ??= []).push(param);
    if (name === 'branch') branch ??= value;
    else if (name === 'received') received ??= value;
    else if (name === 'rport' && rport === undefined) {
      if (value === undefined) rport = null;
      else {
        const n = parseUint(buf, last - value.length, last, 5);
        if (n < 0 || n > 65535) return undefined;
        rport = n;
      }
    }
  }
  const next = skipLws(buf, last, end);
  if (next < end && buf[next] !== COMMA) return undefined;
  viaNext = next;
  const params: readonly Param[] =
    p0 === undefined ? NO_VIA_PARAMS : p1 === undefined ? [p0] : p2 === undefined ? [p0, p1] : more === undefined ? [p0, p1, p2] : [p0, p1, p2, ...more];
  return { fieldIndex, span: { start, end: last }, transport, host, port, params, branch, received, rport };
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
