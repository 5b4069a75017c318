/**
 * @module sip/parse-uri
 * SIP and SIPS URIs (RFC 3261 §19.1.1, ABNF §25.1):
 * `sip:[user[:password]@]host[:port][;uri-parameters][?headers]`, with `host` a hostname, an
 * IPv4 address or a bracketed IPv6 reference. Other schemes (tel:, urn:, http:) are legal in
 * name-addr and Request-URI but are not SIP URIs: they parse as `undefined`, which callers must
 * treat as "not routable by URI", never as a message error.
 */
import type { SipUri } from './message.js';
import { AT, COLON, HOST, QMARK, SEMI, EQUAL, LBRACKET, RBRACKET, eqLower, internLatin1, isDigit, paramName, parseUint, skipClass } from './bytes.js';

/** `paramchar` (§25.1): param-unreserved "[" "]" "/" ":" "&" "+" "$", unreserved, and "%" escapes. */
const URI_PARAM = (() => {
  const t = new Uint8Array(256);
  const s = "[]/:&+$-_.!~*'()%";
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (let i = 0; i < s.length; i++) t[s.charCodeAt(i)] = 1;
  return t;
})();

/** Bytes that may never appear unescaped in the user part (§25.1 `user`, `password`). */
function isBadUserByte(c: number): boolean {
  return c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22 || c === 0x40;
}

/** Shared empty parameter map: most URIs and name-addrs carry no parameters. */
export const NO_PARAMS: ReadonlyMap<string, string | undefined> = new Map();

/** Offset just past the scheme's ':' if buf[start, end) starts with `scheme ":"` (§19.1.1, case-insensitive), else -1. */
function schemeEnd(buf: Buffer, start: number, end: number): number {
  if (end - start > 4 && eqLower(buf, start, start + 4, 'sip:')) return start + 4;
  if (end - start > 5 && eqLower(buf, start, start + 5, 'sips:')) return start + 5;
  return -1;
}

/**
 * End of an IPv6 reference `[...]` starting at `pos` (offset just past `]`), or -1.
 * Only hex digits, ':' and '.' (IPv4-mapped tail) may appear between the brackets (§25.1 IPv6reference).
 */
export function ipv6RefEnd(buf: Buffer, pos: number, end: number): number {
  if (buf[pos] !== LBRACKET) return -1;
  let p = pos + 1;
  for (; p < end; p++) {
    const c = buf[p] ?? 0;
    const hex = isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!hex && c !== COLON && c !== 0x2e) break;
  }
  return p > pos + 2 && buf[p] === RBRACKET ? p + 1 : -1;
}

/**
 * End of `host [":" port]` starting at `pos`, storing host/port in `out`; -1 when malformed.
 * Shared by the URI and Via sent-by parsers (§19.1.1, §20.42).
 */
export function scanHostPort(buf: Buffer, pos: number, end: number, out: { host: string; port: number | undefined }): number {
  let p: number;
  if (buf[pos] === LBRACKET) {
    p = ipv6RefEnd(buf, pos, end);
    if (p < 0) return -1;
    out.host = internLatin1(buf, pos + 1, p - 1);
  } else {
    p = skipClass(buf, pos, end, HOST);
    if (p === pos) return -1;
    out.host = internLatin1(buf, pos, p);
  }
  out.port = undefined;
  if (buf[p] === COLON && p < end) {
    const ps = p + 1;
    let pe = ps;
    while (pe < end && isDigit(buf[pe])) pe++;
    const port = parseUint(buf, ps, pe, 5);
    if (port < 0 || port > 65535) return -1;
    out.port = port;
    p = pe;
  }
  return p;
}

/** Parses a SIP/SIPS URI occupying exactly buf[start, end); `undefined` when it is not one. */
export function parseSipUri(buf: Buffer, start: number, end: number): SipUri | undefined {
  const afterScheme = schemeEnd(buf, start, end);
  if (afterScheme < 0) return undefined;
  const scheme = afterScheme - start === 4 ? 'sip' : 'sips';

  // userinfo: everything up to the first '@', if there is one (host never contains '@').
  let user: string | undefined;
  let p = afterScheme;
  let at = afterScheme;
  while (at < end && buf[at] !== AT) at++;
  if (at < end) {
    let userEnd = afterScheme;
    while (userEnd < at && buf[userEnd] !== COLON) userEnd++;
    if (userEnd === afterScheme) return undefined;
    for (let i = afterScheme; i < at; i++) if (isBadUserByte(buf[i] ?? 0)) return undefined;
    user = internLatin1(buf, afterScheme, userEnd);
    p = at + 1;
  }

  const hp = { host: '', port: undefined as number | undefined };
  p = scanHostPort(buf, p, end, hp);
  if (p < 0) return undefined;

  let params = NO_PARAMS;
  while (p < end && buf[p] === SEMI) {
    const ns = p + 1;
    let ne = ns;
    while (ne < end && URI_PARAM[buf[ne] ?? 0] === 1) ne++;
    if (ne === ns) return undefined;
    let value: string | undefined;
    p = ne;
    if (buf[p] === EQUAL && p < end) {
      const vs = p + 1;
      p = skipClass(buf, vs, end, URI_PARAM);
      value = internLatin1(buf, vs, p);
    }
    const name = paramName(buf, ns, ne);
    // A parameter name MUST NOT appear twice (§19.1.1); keep the first if it does (the first
    // parameter, in a new Map, needs no lookup).
    if (params === NO_PARAMS) params = new Map<string, string | undefined>().set(name, value);
    else if (!params.has(name)) (params as Map<string, string | undefined>).set(name, value);
  }
  // `?headers` are not used for routing; anything else after the host part is malformed.
  if (p < end && buf[p] !== QMARK) return undefined;
  return p < end ? { scheme, user, host: hp.host, port: hp.port, params, hasHeaders: true } : { scheme, user, host: hp.host, port: hp.port, params };
}
