/**
 * @module sip/validate
 * The rule siplb applies to a request: **strict where it interprets, transparent elsewhere.**
 *
 * siplb reads a few things to route and answer a request: the request line, the top Via (where
 * the answer goes), Call-ID, CSeq, Max-Forwards, Route, Content-Length and the To tag. Those are
 * checked strictly, and a request that fails gets a stateless error naming the header at fault
 * (a `Warning: 399 siplb "..."`, RFC 3261 §20.43), never silence. Everything else — From, Contact,
 * unknown headers, parameters siplb only passes on, the body — is forwarded byte for byte however
 * odd (§16.6: a proxy must not change what it does not need to; RFC 4475 §3.1.1 "valid but odd").
 *
 * The datagram scanner (./parse.ts) already checks the request line (505 for another SIP version,
 * §21.5.6), the mandatory headers of §8.1.1 (present; once only where single-valued), Call-ID,
 * CSeq (its method equal to the request's, §8.1.1.5, and below 2**31) and Content-Length against
 * the datagram (§18.3). {@link checkRequest} adds what a proxy checks before forwarding (§16.3):
 * - step 1, the Request-URI: a scheme siplb does not understand → 416 (sip, sips and tel are
 *   understood); a SIP URI that does not parse (e.g. an IPv6 host without brackets, RFC 5118
 *   §4.2) → 400; escaped `?headers` or a `method` parameter → 400 (§19.1.5 and the §19.1.1 table
 *   forbid both in a Request-URI; refused rather than stripped, see docs/request-rules.md);
 * - step 3, Max-Forwards: not an integer 0..255 → 400;
 * - step 4, Proxy-Require: any option tag → 420 with `Unsupported` listing them (siplb supports
 *   none); `Require` is for the UAS and passes;
 * - every Via value, every Route value (a SIP URI: siplb routes on it, §16.4) and, when To has
 *   parameters or quotes, the To value (its tag says whether the request is in a dialog, §12.1) → 400.
 * Pure: reads the request, returns a value, never throws.
 */
import { HeaderId, type SipRequest } from './message.js';
import { COLON, COMMA, DQUOTE, SEMI, TOKEN, eqLower, latin1, skipClass, skipLws } from './bytes.js';

/** Why a request is refused; each maps to one status (see {@link RequestFault.status}). */
export type RequestFaultKind = 'unsupported-scheme' | 'bad-uri' | 'bad-header' | 'bad-extension';

export interface RequestFault {
  readonly kind: RequestFaultKind;
  readonly status: 400 | 416 | 420;
  /** Names the header or part at fault; a constant, safe inside a Warning's quoted string. */
  readonly detail: string;
  /** For 420: the option tags of Proxy-Require, comma-separated, for the `Unsupported` header (§20.40). */
  readonly unsupported?: string;
}

const fault = (kind: RequestFaultKind, status: 400 | 416 | 420, detail: string): RequestFault => Object.freeze({ kind, status, detail });
const UNSUPPORTED_SCHEME = fault('unsupported-scheme', 416, 'Request-URI scheme not supported');
const BAD_RURI = fault('bad-uri', 400, 'malformed Request-URI');
const RURI_HEADERS = fault('bad-uri', 400, 'headers not allowed in Request-URI');
const RURI_METHOD = fault('bad-uri', 400, 'method parameter not allowed in Request-URI');
const BAD_MAX_FORWARDS = fault('bad-header', 400, 'malformed Max-Forwards');
const BAD_VIA = fault('bad-header', 400, 'malformed Via');
const BAD_ROUTE = fault('bad-header', 400, 'malformed Route');
const BAD_TO = fault('bad-header', 400, 'malformed To');
const BAD_PROXY_REQUIRE = fault('bad-header', 400, 'malformed Proxy-Require');

/** The Request-URI's scheme class: 'sip' (sip or sips), 'tel' (RFC 3966), else 'other'. */
function schemeOf(req: SipRequest): 'sip' | 'tel' | 'other' {
  const { buf } = req;
  const { start, end } = req.uriSpan;
  let c = start;
  while (c < end && buf[c] !== COLON) c++;
  if (eqLower(buf, start, c, 'sip') || eqLower(buf, start, c, 'sips')) return 'sip';
  return eqLower(buf, start, c, 'tel') ? 'tel' : 'other';
}

/**
 * The option tags of every Proxy-Require line, comma-separated, or `undefined` when one is not a
 * token (§20.29: `option-tag *(COMMA option-tag)`). Only bytes of the token class are copied, so
 * the list can go into a header of ours.
 */
function proxyRequireTags(req: SipRequest): string | undefined {
  const { buf } = req;
  const tags: string[] = [];
  for (let i = 0; i < req.headerCount; i++) {
    if (req.idAt(i) !== HeaderId.PROXY_REQUIRE) continue;
    let p = req.valueStartAt(i);
    const ve = req.valueEndAt(i);
    for (;;) {
      p = skipLws(buf, p, ve);
      const e = skipClass(buf, p, ve, TOKEN);
      if (e === p) return undefined;
      tags.push(latin1(buf, p, e));
      p = skipLws(buf, e, ve);
      if (p >= ve) break;
      if (buf[p] !== COMMA) return undefined;
      p++;
    }
  }
  return tags.join(', ');
}

/**
 * Whether the To value must be decoded to be sure of its tag: it has a ';' (a tag may follow) or a
 * '"' (a quoted display name may hide or fake one, RFC 4475 §3.1.2.6). A plain `<sip:bob@host>`,
 * what nearly every initial request carries, has no tag by any reading and is not decoded.
 */
function toNeedsDecoding(req: SipRequest): boolean {
  const f = req.firstIndex(HeaderId.TO);
  if (f < 0) return false;
  const { buf } = req;
  for (let i = req.valueStartAt(f), e = req.valueEndAt(f); i < e; i++) if (buf[i] === SEMI || buf[i] === DQUOTE) return true;
  return false;
}

/** The first fault of a request the scanner accepted, or `undefined` when it may be forwarded. */
export function checkRequest(req: SipRequest): RequestFault | undefined {
  // §16.3 step 1: Request-URI.
  const scheme = schemeOf(req);
  if (scheme === 'other') return UNSUPPORTED_SCHEME;
  if (scheme === 'sip') {
    const ruri = req.requestUri();
    if (ruri === undefined) return BAD_RURI;
    if (ruri.hasHeaders === true) return RURI_HEADERS;
    if (ruri.params.size > 0 && ruri.params.has('method')) return RURI_METHOD;
  }
  // §16.3 step 3: Max-Forwards (absent is fine: siplb adds one, §16.6 step 3).
  const mf = req.maxForwards();
  if (mf !== undefined && Number.isNaN(mf)) return BAD_MAX_FORWARDS;
  // §16.3 step 4: Proxy-Require lists extensions every proxy must support; siplb supports none.
  if (req.firstIndex(HeaderId.PROXY_REQUIRE) >= 0) {
    const tags = proxyRequireTags(req);
    if (tags === undefined) return BAD_PROXY_REQUIRE;
    return Object.freeze({ kind: 'bad-extension', status: 420, detail: 'Proxy-Require option not supported', unsupported: tags });
  }
  // What siplb reads to route: every Via (responses come back through them), every Route (§16.4).
  if (req.vias() === undefined) return BAD_VIA;
  const routes = req.routes();
  if (routes === undefined) return BAD_ROUTE;
  for (const r of routes) if (r.uri === undefined) return BAD_ROUTE;
  // The To tag (§12.1) decides in-dialog routing; a To without ';' has no tag and nothing to read.
  if (toNeedsDecoding(req) && req.to().malformed === true) return BAD_TO;
  return undefined;
}
