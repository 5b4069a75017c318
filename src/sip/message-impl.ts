/**
 * @module sip/message-impl
 * The concrete classes behind {@link SipRequest} and {@link SipResponse}. They hold the datagram
 * and the header line offsets found by the scanner; every typed accessor decodes its header on
 * first call and caches the result, so a proxy that reads only Call-ID, the top Via and
 * Max-Forwards pays for nothing else (RFC 3261 §7 message format, §20 header fields).
 */
import type { CSeq, HeaderField, HeaderId, NameAddr, SipUri, Span, Via } from './message.js';
import { HeaderId as H } from './message.js';
import { COMMA, CR, HTAB, LF, SP, isLws, latin1, skipLws } from './bytes.js';
import { parseMaxForwards, parseRetryAfter } from './parse-headers.js';
import { parseNameAddr, parseNameAddrList } from './parse-name-addr.js';
import { NO_PARAMS, parseSipUri } from './parse-uri.js';
import { parseViaLine } from './parse-via.js';

/** One header line, made on demand from the header table (a class so that every instance shares one shape). */
export class Field implements HeaderField {
  constructor(
    readonly id: HeaderId,
    readonly lineStart: number,
    readonly lineEnd: number,
    readonly valueStart: number,
    readonly valueEnd: number,
  ) {}
}

/**
 * The header table: every header line's offsets in ONE array of small integers per message, not
 * an object per line (an object per line, the list holding them and a 16-slot first-line index
 * were a third of the bytes a message allocated, bench/PERF-NOTES.md session 10).
 *
 * Layout: FIRST_SLOTS slots of first-line indices, then FIELD_SLOTS per line:
 * `lineStart * 16 + id`, `valueStart`, `valueEnd`. A line's end is the next line's start (the
 * scanner starts each line just past the previous one's LF), the last line's is `headersEnd`.
 * First-line indices: 7 bits per HeaderId, four ids to a slot (28 bits: a small integer);
 * 0 = absent, n = line n - 1, FIRST_FAR = line FIRST_FAR - 1 or later (found by a scan).
 */
export const FIRST_SLOTS = 4;
export const FIELD_SLOTS = 3;
export const FIRST_FAR = 127;

/** The packed first-line code for line `index` (see the layout above). */
export function firstCode(index: number): number {
  return index < FIRST_FAR - 1 ? index + 1 : FIRST_FAR;
}

/** Index of the first line with this id in table `t` of `count` lines, or -1. */
export function firstIndexIn(t: readonly number[], count: number, id: HeaderId): number {
  const code = ((t[id >> 2] ?? 0) >> ((id & 3) * 7)) & FIRST_FAR;
  if (code < FIRST_FAR) return code - 1;
  for (let i = FIRST_FAR - 1; i < count; i++) if (((t[FIRST_SLOTS + i * FIELD_SLOTS] ?? 0) & 15) === id) return i;
  return -1;
}

/**
 * A From/To value that does not parse as name-addr/addr-spec. RFC 3261 §8.2 asks a UAS to
 * tolerate that, and the proxy only needs the raw text, so the value degrades instead of failing.
 */
function opaqueNameAddr(fieldIndex: number, span: Span, text: string): NameAddr {
  return { fieldIndex, span, displayName: undefined, uriText: text, uri: undefined, params: NO_PARAMS, malformed: true };
}

/**
 * Lists whose length is known only once parsed (the Vias, the Route entries) are collected in a
 * small list of their own, its first three values in fields, and copied out at their final size:
 * a fresh array grown by `push` takes a 17-slot backing store for its 1-3 values (~150 bytes a
 * message, bench/PERF-NOTES.md session 9). It is made per list (32 bytes, dead at once), not kept
 * for all messages: storing each message's young values into a long-lived list cost a write
 * barrier with a remembered-set insertion per value (session 11).
 */
class SmallList<T> {
  #a: T | undefined = undefined;
  #b: T | undefined = undefined;
  #c: T | undefined = undefined;
  #rest: T[] | undefined = undefined;
  #n = 0;

  get length(): number {
    return this.#n;
  }

  push(v: T): number {
    const n = this.#n;
    if (n === 0) this.#a = v;
    else if (n === 1) this.#b = v;
    else if (n === 2) this.#c = v;
    else (this.#rest ??= []).push(v);
    return (this.#n = n + 1);
  }

  /** The values, in an array of their final size (a literal for 1-3: allocated inline by optimised code). */
  take(): T[] {
    const n = this.#n;
    if (n === 1) return [this.#a!];
    if (n === 2) return [this.#a!, this.#b!];
    if (n === 3) return [this.#a!, this.#b!, this.#c!];
    if (n === 0) return [];
    return [this.#a!, this.#b!, this.#c!, ...this.#rest!];
  }
}

const NO_NAME_ADDRS: readonly NameAddr[] = Object.freeze([]);

const NO_SPAN: Span = Object.freeze({ start: 0, end: 0 });

/**
 * A parsed request or response. One class for both (not a base class and two subclasses): a
 * subclass' `super()` call costs a builtin call per message, and one shape keeps every accessor
 * the proxy calls monomorphic. The parser hands it out as the SipRequest or SipResponse its
 * `kind` says; the members of the other kind answer empty values.
 */
export class ParsedMessage {
  readonly kind: 'request' | 'response';
  readonly buf: Buffer;
  readonly headerCount: number;
  readonly headersStart: number;
  readonly headersEnd: number;
  readonly bodyStart: number;
  readonly bodyLength: number;
  /** Request: the method; response: ''. */
  readonly method: string;
  /** Response: the status code; request: 0. */
  readonly status: number;
  readonly #t: readonly number[];
  /** The Request-URI's (request) or reason phrase's (response) byte range. */
  readonly #lineStart: number;
  readonly #lineEnd: number;
  #lineSpan: Span | undefined;
  #lineText: string | undefined;
  #requestUri: SipUri | undefined | null = null;
  #headers: readonly HeaderField[] | undefined;
  #callId: string | undefined;
  #cseq: CSeq | undefined;
  #topVia: Via | undefined;
  // `null` = not computed yet (the decoded value itself may be `undefined`).
  #vias: readonly Via[] | undefined | null = null;
  #maxForwards: number | undefined | null = null;
  #routes: readonly NameAddr[] | undefined | null = null;
  #recordRoutes: readonly NameAddr[] | undefined | null = null;
  #from: NameAddr | undefined;
  #to: NameAddr | undefined;
  #retryAfter: number | undefined | null = null;

  constructor(
    kind: 'request' | 'response',
    buf: Buffer,
    table: readonly number[],
    headersStart: number,
    headersEnd: number,
    bodyStart: number,
    bodyLength: number,
    cseq: CSeq | undefined,
    topVia: Via | undefined,
    method: string,
    status: number,
    lineStart: number,
    lineEnd: number,
  ) {
    this.kind = kind;
    this.buf = buf;
    this.#t = table;
    this.headerCount = (table.length - FIRST_SLOTS) / FIELD_SLOTS;
    this.headersStart = headersStart;
    this.headersEnd = headersEnd;
    this.bodyStart = bodyStart;
    this.bodyLength = bodyLength;
    this.#cseq = cseq;
    this.#topVia = topVia;
    this.method = method;
    this.status = status;
    this.#lineStart = lineStart;
    this.#lineEnd = lineEnd;
  }

  // ---- the header table, by line index ------------------------------------------------------

  firstIndex(id: HeaderId): number {
    return firstIndexIn(this.#t, this.headerCount, id);
  }

  idAt(i: number): HeaderId {
    return ((this.#t[FIRST_SLOTS + i * FIELD_SLOTS] ?? 0) & 15) as HeaderId;
  }

  lineStartAt(i: number): number {
    return (this.#t[FIRST_SLOTS + i * FIELD_SLOTS] ?? 0) >> 4;
  }

  lineEndAt(i: number): number {
    return i + 1 < this.headerCount ? this.lineStartAt(i + 1) : this.headersEnd;
  }

  valueStartAt(i: number): number {
    return this.#t[FIRST_SLOTS + i * FIELD_SLOTS + 1] ?? 0;
  }

  valueEndAt(i: number): number {
    return this.#t[FIRST_SLOTS + i * FIELD_SLOTS + 2] ?? 0;
  }

  valueAt(i: number): string {
    return this.#value(this.valueStartAt(i), this.valueEndAt(i));
  }

  /** The header lines as objects, made on first use (the hot paths read the table by index). */
  get headers(): readonly HeaderField[] {
    if (this.#headers === undefined) {
      const out: HeaderField[] = [];
      for (let i = 0; i < this.headerCount; i++) out.push(new Field(this.idAt(i), this.lineStartAt(i), this.lineEndAt(i), this.valueStartAt(i), this.valueEndAt(i)));
      this.#headers = out;
    }
    return this.#headers;
  }

  first(id: HeaderId): HeaderField | undefined {
    const i = this.firstIndex(id);
    return i < 0 ? undefined : this.headers[i];
  }

  valueOf(field: HeaderField): string {
    return this.#value(field.valueStart, field.valueEnd);
  }

  #value(s: number, e: number): string {
    const { buf } = this;
    let folded = false;
    for (let i = s; i < e; i++) {
      if (buf[i] === LF || buf[i] === CR) {
        folded = true;
        break;
      }
    }
    if (!folded) return latin1(buf, s, e);
    // §7.3.1: a folded line is equivalent to one line with the CRLF+whitespace replaced by one SP.
    // A stray CR is collapsed the same way, so a value copied into another message cannot end a line.
    let out = '';
    let i = s;
    while (i < e) {
      const c = buf[i] ?? 0;
      if (c === CR || c === LF) {
        let n = out.length;
        while (n > 0 && (out.charCodeAt(n - 1) === SP || out.charCodeAt(n - 1) === HTAB)) n--;
        out = out.slice(0, n) + ' ';
        while (i < e && isLws(buf[i])) i++;
        continue;
      }
      out += String.fromCharCode(c);
      i++;
    }
    return out;
  }

  // ---- start line ---------------------------------------------------------------------------

  get uriSpan(): Span {
    if (this.kind !== 'request') return NO_SPAN;
    return (this.#lineSpan ??= { start: this.#lineStart, end: this.#lineEnd });
  }

  get uriText(): string {
    if (this.kind !== 'request') return '';
    return (this.#lineText ??= latin1(this.buf, this.#lineStart, this.#lineEnd));
  }

  requestUri(): SipUri | undefined {
    if (this.#requestUri === null) this.#requestUri = this.kind === 'request' ? parseSipUri(this.buf, this.#lineStart, this.#lineEnd) : undefined;
    return this.#requestUri;
  }

  get reason(): string {
    if (this.kind !== 'response') return '';
    return (this.#lineText ??= latin1(this.buf, this.#lineStart, this.#lineEnd));
  }

  // ---- typed header values ------------------------------------------------------------------

  callId(): string {
    if (this.#callId === undefined) {
      const i = this.firstIndex(H.CALL_ID);
      this.#callId = i < 0 ? '' : latin1(this.buf, this.valueStartAt(i), this.valueEndAt(i));
    }
    return this.#callId;
  }

  cseq(): CSeq {
    // Always primed by the parser: a message without a valid CSeq is never constructed as ok.
    return this.#cseq ?? { seq: 0, method: '' };
  }

  topVia(): Via {
    return this.#topVia ?? NO_VIA;
  }

  vias(): readonly Via[] | undefined {
    if (this.#vias === null) {
      const out = new SmallList<Via>();
      let ok = true;
      let i = 0;
      const top = this.#topVia;
      if (top !== undefined && top.fieldIndex >= 0 && top.fieldIndex < this.headerCount) {
        // The scanner already parsed the top value: continue after it on its line (a ',' and
        // more values, §7.3.1), then with the Via lines below.
        out.push(top);
        const { buf } = this;
        const ve = this.valueEndAt(top.fieldIndex);
        const rest = skipLws(buf, top.span.end, ve);
        if (rest < ve) ok = buf[rest] === COMMA && parseViaLine(buf, rest + 1, ve, top.fieldIndex, out);
        i = top.fieldIndex + 1;
      }
      for (; i < this.headerCount && ok; i++) {
        if (this.idAt(i) === H.VIA) ok = parseViaLine(this.buf, this.valueStartAt(i), this.valueEndAt(i), i, out);
      }
      this.#vias = ok && out.length > 0 ? out.take() : undefined;
    }
    return this.#vias;
  }

  maxForwards(): number | undefined {
    if (this.#maxForwards === null) {
      const i = this.firstIndex(H.MAX_FORWARDS);
      this.#maxForwards = i < 0 ? undefined : parseMaxForwards(this.buf, this.valueStartAt(i), this.valueEndAt(i));
    }
    return this.#maxForwards;
  }

  #nameAddrList(id: HeaderId): readonly NameAddr[] | undefined {
    const first = this.firstIndex(id);
    if (first < 0) return NO_NAME_ADDRS;
    const out = new SmallList<NameAddr>();
    for (let i = first; i < this.headerCount; i++) {
      if (this.idAt(i) === id && !parseNameAddrList(this.buf, this.valueStartAt(i), this.valueEndAt(i), i, out)) return undefined;
    }
    return out.length === 0 ? NO_NAME_ADDRS : out.take();
  }

  routes(): readonly NameAddr[] | undefined {
    if (this.#routes === null) this.#routes = this.#nameAddrList(H.ROUTE);
    return this.#routes;
  }

  recordRoutes(): readonly NameAddr[] | undefined {
    if (this.#recordRoutes === null) this.#recordRoutes = this.#nameAddrList(H.RECORD_ROUTE);
    return this.#recordRoutes;
  }

  #nameAddr(id: HeaderId): NameAddr {
    const i = this.firstIndex(id);
    if (i < 0) return opaqueNameAddr(-1, { start: 0, end: 0 }, '');
    const vs = this.valueStartAt(i);
    const ve = this.valueEndAt(i);
    return parseNameAddr(this.buf, vs, ve, i) ?? opaqueNameAddr(i, { start: vs, end: ve }, this.#value(vs, ve));
  }

  from(): NameAddr {
    return (this.#from ??= this.#nameAddr(H.FROM));
  }

  to(): NameAddr {
    return (this.#to ??= this.#nameAddr(H.TO));
  }

  retryAfter(): number | undefined {
    if (this.#retryAfter === null) {
      const i = this.firstIndex(H.RETRY_AFTER);
      this.#retryAfter = i < 0 ? undefined : parseRetryAfter(this.buf, this.valueStartAt(i), this.valueEndAt(i));
    }
    return this.#retryAfter;
  }
}

/** What a message without a parsed top Via answers (never on a message the parser accepted). */
const NO_VIA: Via = Object.freeze({
  fieldIndex: -1,
  buf: Buffer.alloc(0),
  span: NO_SPAN,
  transport: '',
  host: '',
  port: undefined,
  params: Object.freeze([]),
  branch: undefined,
  branchStart: -1,
  branchEnd: -1,
  received: undefined,
  rport: undefined,
  param: () => undefined,
  branchStartsWith: () => false,
});
