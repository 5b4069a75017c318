/**
 * @module sip/parse
 * Datagram → {@link ParseResult}. One pass over the start line and the header lines records the
 * offsets of every header field (RFC 3261 §7); then the few checks a stateless proxy relies on are
 * made: the mandatory headers of §8.1.1 are present, the top Via (§20.42), Call-ID (§20.8) and
 * CSeq (§20.16) parse, the CSeq method matches the request line (§8.1.1.5), and Content-Length
 * (§20.14) agrees with the datagram (§18.3); a request may not repeat a single-valued header (§7.3).
 * A request fault found before the top Via is read (another SIP version, a malformed request
 * line) is held until it is: a request whose method and top Via are readable is always answerable
 * (see sip/validate.ts for the rule, docs/request-rules.md for the table). Nothing is copied;
 * values are decoded lazily by the message accessors. Untrusted input never throws: every failure
 * is a returned value.
 */
import type { ParseResult, SipMessage, SipParseErrorReason, SipRequest } from './message.js';
import { HeaderId } from './message.js';
import { COLON, CR, HTAB, LF, SP, TOKEN, eqLower, eqRanges, isDigit, methodString, parseUint, skipClass } from './bytes.js';
import { HEADER_NAMES, headerIdOf } from './compact-forms.js';
import { FIELD_SLOTS, FIRST_FAR, FIRST_SLOTS, ParsedMessage, firstCode, firstIndexIn } from './message-impl.js';
import { isValidCallId, parseCSeq, parseContentLength } from './parse-headers.js';
import { parseFirstVia } from './parse-via.js';

/**
 * Failures that cannot be answered carry no per-datagram data, so each (reason, detail) pair is
 * allocated once: a flood of garbage datagrams costs no garbage.
 */
const noReplyCache = new Map<string, ParseResult>();

function noReply(reason: SipParseErrorReason, detail: string): ParseResult {
  const key = reason + '\0' + detail;
  let r = noReplyCache.get(key);
  if (r === undefined) {
    r = Object.freeze({ ok: false as const, error: Object.freeze({ reason, detail, canReply: false }) });
    noReplyCache.set(key, r);
  }
  return r;
}

/**
 * Offset of the next LF at or after `from`, or -1. A plain loop: `Buffer#indexOf` (memchr) is
 * quicker on a long line in wall time, but each call crosses into C++ (argument checks, a handle
 * scope, the backing store looked up again), ~1 200 instructions under callgrind, against ~4 per
 * byte here; a SIP header line is a few dozen bytes, so the loop runs fewer instructions (and
 * is no slower in bench/micro/call-path.mjs) for every line of every message.
 */
function findLF(buf: Buffer, from: number, len: number): number {
  for (let i = from; i < len; i++) if (buf[i] === LF) return i;
  return -1;
}

/** Offset of the end of a line's content: `lf` minus a preceding CR (CRLF and bare LF both end lines, §7.5 leniency). */
function contentEnd(buf: Buffer, lineStart: number, lf: number): number {
  return lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf;
}

/** Whether buf[start, end) is `SIP/` followed by digits "." digits (a SIP-Version, §7.1), any case. */
function isSipVersion(buf: Buffer, start: number, end: number): boolean {
  if (end - start < 7 || !eqLower(buf, start, start + 4, 'sip/')) return false;
  let p = start + 4;
  const d1 = p;
  while (p < end && isDigit(buf[p])) p++;
  if (p === d1 || buf[p] !== 0x2e) return false;
  const d2 = ++p;
  while (p < end && isDigit(buf[p])) p++;
  return p > d2 && p === end;
}

/** Whether buf[start, end) looks like an absolute URI: `scheme ":"` then visible ASCII only (§25.1 Request-URI). */
function isRequestUri(buf: Buffer, start: number, end: number): boolean {
  const c0 = buf[start] ?? 0;
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return false;
  let p = start + 1;
  for (; p < end; p++) {
    const c = buf[p] ?? 0;
    if (c === COLON) break;
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!ok) return false;
  }
  if (p >= end - 1) return false;
  for (let i = p + 1; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Headers that may appear once only (§7.3: a header that is not a comma-separated list must not
 * be repeated): the ones siplb reads to route, answer and frame a request. Two of them make the
 * value siplb would act on ambiguous (RFC 4475 §3.3.8, §3.3.9), so the request is answered 400.
 */
const SINGLE_VALUED = (() => {
  const t = new Uint8Array(16);
  for (const id of [HeaderId.CALL_ID, HeaderId.CSEQ, HeaderId.MAX_FORWARDS, HeaderId.TO, HeaderId.FROM, HeaderId.CONTENT_LENGTH]) t[id] = 1;
  return t;
})();
const DUPLICATE_DETAIL: readonly string[] = Array.from({ length: 16 }, (_, id) => `more than one ${HEADER_NAMES[id as HeaderId] ?? ''} header`);

/**
 * The header table being built (layout in sip/message-impl.ts: first-line indices packed in its
 * first slots as the lines are found), kept for all messages and copied out at its final size.
 * Written only at indices up to its length, so the table stays a packed array of small integers
 * (a `slice` of it is one block copy).
 */
const table: number[] = [0, 0, 0, 0];

/** Parses one SIP datagram. Never throws. */
export function parseSip(buf: Buffer): ParseResult {
  const len = buf.length;
  let pos = 0;
  // §7.5: CRLFs before the start line are ignored (they are also RFC 5626 keep-alives).
  while (pos < len && (buf[pos] === CR || buf[pos] === LF)) pos++;
  if (pos >= len) return noReply('empty', 'no start line');

  // ---- start line (§7.1 Request-Line, §7.2 Status-Line) -------------------------------------
  const lf0 = findLF(buf, pos, len);
  const slEnd = lf0 < 0 ? len : contentEnd(buf, pos, lf0);
  let isRequest: boolean;
  let method = '';
  // The Request-URI (request) or the reason phrase (response).
  let lineStart: number;
  let lineEnd: number;
  let status = 0;
  let lineFault: SipParseErrorReason | undefined;
  let lineDetail = '';

  if (eqLower(buf, pos, pos + 4, 'sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    isRequest = false;
    let p = pos;
    while (p < slEnd && buf[p] !== SP) p++;
    if (!isSipVersion(buf, pos, p)) return noReply('bad-start-line', 'malformed status line');
    if (!eqLower(buf, pos, p, 'sip/2.0')) return noReply('bad-version', 'unsupported SIP version');
    const cs = p + 1;
    if (buf[p] !== SP || cs + 3 > slEnd) return noReply('bad-start-line', 'malformed status line');
    status = parseUint(buf, cs, cs + 3, 3);
    if (status < 0) return noReply('bad-status', 'status code is not 3 digits');
    // The reason phrase may be empty, but the SP before it is commonly omitted: accept both.
    if (cs + 3 < slEnd && buf[cs + 3] !== SP) return noReply('bad-status', 'status code is not 3 digits');
    if (status < 100 || status > 699) return noReply('bad-status', 'status code out of range');
    lineStart = Math.min(cs + 4, slEnd);
    lineEnd = slEnd;
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version. Without a method token and a SP it is
    // not recognisably a request and is dropped; after that, a fault is held until the top Via is
    // read, so that the sender can be told (505 for another version, §8.2.6 / §21.5.6; else 400).
    isRequest = true;
    const me = skipClass(buf, pos, slEnd, TOKEN);
    if (me === pos || buf[me] !== SP || me >= slEnd) return noReply('bad-start-line', 'malformed request line');
    method = methodString(buf, pos, me);
    const us = me + 1;
    let ue = us;
    while (ue < slEnd && buf[ue] !== SP) ue++;
    lineStart = us;
    lineEnd = ue;
    const vs = ue + 1;
    if (ue >= slEnd || vs >= slEnd) [lineFault, lineDetail] = ['bad-start-line', 'malformed Request-Line'];
    else if (!eqLower(buf, vs, slEnd, 'sip/2.0')) {
      [lineFault, lineDetail] = isSipVersion(buf, vs, slEnd) ? ['bad-version', 'SIP version not supported'] : ['bad-start-line', 'malformed Request-Line'];
    } else if (!isRequestUri(buf, us, ue)) [lineFault, lineDetail] = ['bad-start-line', 'malformed Request-URI'];
  }
  if (lf0 < 0) return noReply('headers-unterminated', 'no line end after start line');

  // ---- header lines (§7.3) -------------------------------------------------------------------
  const headersStart = lf0 + 1;
  for (let s = 0; s < FIRST_SLOTS; s++) table[s] = 0;
  let cidFirst = -1; // the first Call-ID line
  let count = 0; // header lines so far
  let at = FIRST_SLOTS; // next free slot of `table`
  let duplicate = -1; // HeaderId of the first single-valued header seen twice
  let contentLength = -2; // -2: absent, -1: malformed or conflicting
  let callIdConflict = false;
  let headersEnd = -1;
  let bodyStart = -1;
  pos = headersStart;

  while (pos < len) {
    const c0 = buf[pos];
    if (c0 === LF) {
      headersEnd = pos;
      bodyStart = pos + 1;
      break;
    }
    if (c0 === CR && buf[pos + 1] === LF) {
      headersEnd = pos;
      bodyStart = pos + 2;
      break;
    }
    // field-name = token, then optional whitespace, then ':' (§7.3.1, §25.1 HCOLON).
    const nameEnd = skipClass(buf, pos, len, TOKEN);
    let p = nameEnd;
    while (p < len && (buf[p] === SP || buf[p] === HTAB)) p++;
    if (nameEnd === pos || buf[p] !== COLON) {
      // A line with no LF at all is a cut datagram rather than a bad line.
      return findLF(buf, pos, len) < 0 ? noReply('headers-unterminated', 'no empty line after headers') : noReply('bad-header-line', 'header line without name or colon');
    }
    const afterColon = p + 1;
    // The field ends at the first LF not followed by SP/HTAB (continuation lines fold, §7.3.1).
    let lf = findLF(buf, afterColon, len);
    while (lf >= 0 && (buf[lf + 1] === SP || buf[lf + 1] === HTAB)) lf = findLF(buf, lf + 1, len);
    if (lf < 0) return noReply('headers-unterminated', 'no empty line after headers');
    let vs = afterColon;
    const ce = contentEnd(buf, afterColon, lf);
    while (vs < ce && (buf[vs] === SP || buf[vs] === HTAB || buf[vs] === CR || buf[vs] === LF)) vs++;
    let ve = ce;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB || buf[ve - 1] === CR || buf[ve - 1] === LF)) ve--;

    const id = headerIdOf(buf, pos, nameEnd);
    const index = count++;
    table[at++] = pos * 16 + id;
    table[at++] = vs;
    table[at++] = ve;
    const slot = id >> 2;
    const shift = (id & 3) * 7;
    const packed = table[slot] ?? 0;
    const seen = ((packed >> shift) & FIRST_FAR) !== 0;
    if (!seen) table[slot] = packed | (firstCode(index) << shift);
    else if (duplicate < 0 && SINGLE_VALUED[id] === 1) duplicate = id;
    if (id === HeaderId.CONTENT_LENGTH) {
      // Several Content-Length values that disagree make the body length unknowable (§20.14).
      const n = parseContentLength(buf, vs, ve);
      if (n < 0 || (seen && n !== contentLength)) contentLength = -1;
      else if (!seen) contentLength = n;
    } else if (id === HeaderId.CALL_ID) {
      if (!seen) cidFirst = index;
      else {
        const pv = FIRST_SLOTS + cidFirst * FIELD_SLOTS;
        if (!eqRanges(buf, table[pv + 1] ?? 0, table[pv + 2] ?? 0, vs, ve)) callIdConflict = true;
      }
    }
    pos = lf + 1;
  }
  if (headersEnd < 0) return noReply('headers-unterminated', 'no empty line after headers');

  // ---- mandatory headers (§8.1.1; responses carry the same set, §8.2.6.2) --------------------
  // A message without Via cannot be routed back (§8.1.1.7, §18.2.2): its own reason, so it can be
  // counted and logged apart from garbage. Every other fault of a request with a readable top Via
  // is answered (see replyable below).
  const viaIndex = firstIndexIn(table, count, HeaderId.VIA);
  if (viaIndex < 0) return lineFault !== undefined ? noReply(lineFault, lineDetail) : noReply('missing-via', 'missing Via');
  const vf = FIRST_SLOTS + viaIndex * FIELD_SLOTS;
  const topVia = parseFirstVia(buf, table[vf + 1] ?? 0, table[vf + 2] ?? 0, viaIndex);
  const cidIndex = cidFirst;
  const cf = FIRST_SLOTS + cidIndex * FIELD_SLOTS;
  const callIdOk = cidIndex >= 0 && isValidCallId(buf, table[cf + 1] ?? 0, table[cf + 2] ?? 0);
  const csIndex = firstIndexIn(table, count, HeaderId.CSEQ);
  const sf = FIRST_SLOTS + csIndex * FIELD_SLOTS;
  const cseq = csIndex < 0 ? undefined : parseCSeq(buf, table[sf + 1] ?? 0, table[sf + 2] ?? 0);

  const available = len - bodyStart;

  let reason: SipParseErrorReason | undefined;
  let detail = '';
  // The request line's fault comes first: with another SIP version nothing else can be judged.
  if (lineFault !== undefined) [reason, detail] = [lineFault, lineDetail];
  else if (topVia === undefined) [reason, detail] = ['bad-via', 'malformed top Via'];
  else if (cidIndex < 0) [reason, detail] = ['missing-header', 'missing Call-ID'];
  else if (csIndex < 0) [reason, detail] = ['missing-header', 'missing CSeq'];
  else if (firstIndexIn(table, count, HeaderId.FROM) < 0) [reason, detail] = ['missing-header', 'missing From'];
  else if (firstIndexIn(table, count, HeaderId.TO) < 0) [reason, detail] = ['missing-header', 'missing To'];
  else if (isRequest && duplicate >= 0) [reason, detail] = ['duplicate-header', DUPLICATE_DETAIL[duplicate] ?? 'duplicate header'];
  else if (!callIdOk) [reason, detail] = ['bad-call-id', 'malformed Call-ID'];
  else if (callIdConflict) [reason, detail] = ['bad-call-id', 'conflicting Call-ID headers'];
  else if (cseq === undefined) [reason, detail] = ['bad-cseq', 'malformed CSeq'];
  else if (isRequest && cseq.method !== method) [reason, detail] = ['bad-cseq', 'CSeq method does not match the request line'];
  else if (contentLength === -1) [reason, detail] = ['bad-content-length', 'malformed or conflicting Content-Length'];
  else if (contentLength > available) [reason, detail] = ['body-truncated', 'datagram shorter than Content-Length'];

  if (reason === undefined) {
    // §18.3: bytes beyond Content-Length are discarded; without it, over UDP the body is the rest of the datagram.
    const bodyLength = contentLength >= 0 ? contentLength : available;
    // One class for both kinds (sip/message-impl.ts): `kind` makes it the one it says.
    const msg = new ParsedMessage(isRequest ? 'request' : 'response', buf, table.slice(0, at), headersStart, headersEnd, bodyStart, bodyLength, cseq, topVia, method, status, lineStart, lineEnd);
    return { ok: true, msg: msg as SipMessage };
  }
  // Only a request whose top Via is readable can be answered (see replyable).
  if (!isRequest || topVia === undefined) return noReply(reason, detail);
  const bodyLength = contentLength === -2 ? available : Math.max(0, Math.min(contentLength, available));
  const partial = new ParsedMessage('request', buf, table.slice(0, at), headersStart, headersEnd, bodyStart, bodyLength, cseq, topVia, method, 0, lineStart, lineEnd);
  return replyable(partial as SipRequest, reason, detail);
}

/**
 * The error for a request that failed a check after its headers were scanned but whose top Via is
 * readable: a stateless error can be built (§8.2.6, §16.3: the Via says where it goes, §18.2.2;
 * From, To, Call-ID and CSeq are copied when present), so the partial request travels with the
 * error.
 */
function replyable(partial: SipRequest, reason: SipParseErrorReason, detail: string): ParseResult {
  return { ok: false, error: { reason, detail, canReply: true, partial } };
}
