/**
 * @module sip/compact-forms
 * Header names → {@link HeaderId}. Header names are case-insensitive (RFC 3261 §7.3.1) and many
 * have a one-letter compact form (§7.3.3, §20; later RFCs add more). Matching runs on the raw
 * name bytes with a switch on length and first byte, so no string is made per header line.
 */
import { HeaderId } from './message.js';
import { eqLower, lowerByte } from './bytes.js';

/**
 * Every registered compact form and its long name: RFC 3261 §7.3.3 (i, m, e, l, c, f, s, k, t, v),
 * RFC 3265/6665 (o Event, u Allow-Events), RFC 3515 (r Refer-To), RFC 3892 (b Referred-By),
 * RFC 4028 (x Session-Expires), RFC 3841 (a Accept-Contact, j Reject-Contact, d Request-Disposition),
 * RFC 4474 (y Identity, n Identity-Info).
 */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
});

/** The long form of a header name given in either form (any case); other names are returned as given. */
export function longHeaderName(name: string): string {
  return name.length === 1 ? (COMPACT_FORMS[name.toLowerCase()] ?? name) : name;
}

/** Id of the compact (one-letter) header names that have one; lowerCased byte → id. */
function compactId(c: number): HeaderId {
  switch (c) {
    case 0x76: // v
      return HeaderId.VIA;
    case 0x69: // i
      return HeaderId.CALL_ID;
    case 0x6c: // l
      return HeaderId.CONTENT_LENGTH;
    case 0x66: // f
      return HeaderId.FROM;
    case 0x74: // t
      return HeaderId.TO;
    case 0x6d: // m
      return HeaderId.CONTACT;
    case 0x63: // c
      return HeaderId.CONTENT_TYPE;
    default:
      return HeaderId.OTHER;
  }
}

/** The {@link HeaderId} of the header name in buf[start, end) (long or compact, any case). */
export function headerIdOf(buf: Buffer, start: number, end: number): HeaderId {
  const c = lowerByte(buf[start] ?? 0);
  switch (end - start) {
    case 1:
      return compactId(c);
    case 2:
      return c === 0x74 && eqLower(buf, start, end, 'to') ? HeaderId.TO : HeaderId.OTHER;
    case 3:
      return c === 0x76 && eqLower(buf, start, end, 'via') ? HeaderId.VIA : HeaderId.OTHER;
    case 4:
      if (c === 0x63) return eqLower(buf, start, end, 'cseq') ? HeaderId.CSEQ : HeaderId.OTHER;
      if (c === 0x66) return eqLower(buf, start, end, 'from') ? HeaderId.FROM : HeaderId.OTHER;
      return HeaderId.OTHER;
    case 5:
      return c === 0x72 && eqLower(buf, start, end, 'route') ? HeaderId.ROUTE : HeaderId.OTHER;
    case 6:
      return c === 0x73 && eqLower(buf, start, end, 'server') ? HeaderId.SERVER : HeaderId.OTHER;
    case 7:
      if (c !== 0x63) return HeaderId.OTHER;
      if (eqLower(buf, start, end, 'call-id')) return HeaderId.CALL_ID;
      return eqLower(buf, start, end, 'contact') ? HeaderId.CONTACT : HeaderId.OTHER;
    case 10:
      return c === 0x75 && eqLower(buf, start, end, 'user-agent') ? HeaderId.USER_AGENT : HeaderId.OTHER;
    case 11:
      return c === 0x72 && eqLower(buf, start, end, 'retry-after') ? HeaderId.RETRY_AFTER : HeaderId.OTHER;
    case 12:
      if (c === 0x6d) return eqLower(buf, start, end, 'max-forwards') ? HeaderId.MAX_FORWARDS : HeaderId.OTHER;
      if (c === 0x72) return eqLower(buf, start, end, 'record-route') ? HeaderId.RECORD_ROUTE : HeaderId.OTHER;
      if (c === 0x63) return eqLower(buf, start, end, 'content-type') ? HeaderId.CONTENT_TYPE : HeaderId.OTHER;
      return HeaderId.OTHER;
    case 13:
      return c === 0x70 && eqLower(buf, start, end, 'proxy-require') ? HeaderId.PROXY_REQUIRE : HeaderId.OTHER;
    case 14:
      return c === 0x63 && eqLower(buf, start, end, 'content-length') ? HeaderId.CONTENT_LENGTH : HeaderId.OTHER;
    default:
      return HeaderId.OTHER;
  }
}

/** Canonical long name of each {@link HeaderId} (for building header lines and debug output). */
export const HEADER_NAMES: Readonly<Record<HeaderId, string>> = Object.freeze({
  [HeaderId.OTHER]: '',
  [HeaderId.VIA]: 'Via',
  [HeaderId.CALL_ID]: 'Call-ID',
  [HeaderId.CSEQ]: 'CSeq',
  [HeaderId.MAX_FORWARDS]: 'Max-Forwards',
  [HeaderId.ROUTE]: 'Route',
  [HeaderId.RECORD_ROUTE]: 'Record-Route',
  [HeaderId.CONTENT_LENGTH]: 'Content-Length',
  [HeaderId.TO]: 'To',
  [HeaderId.FROM]: 'From',
  [HeaderId.CONTACT]: 'Contact',
  [HeaderId.RETRY_AFTER]: 'Retry-After',
  [HeaderId.CONTENT_TYPE]: 'Content-Type',
  [HeaderId.USER_AGENT]: 'User-Agent',
  [HeaderId.SERVER]: 'Server',
  [HeaderId.PROXY_REQUIRE]: 'Proxy-Require',
});
