/**
 * @module sip/message-impl
 * The concrete classes behind {@link SipRequest} and {@link SipResponse}. They hold the datagram
 * and the header line offsets found by the scanner; every typed accessor decodes its header on
 * first call and caches the result, so a proxy that reads only Call-ID, the top Via and
 * Max-Forwards pays for nothing else (RFC 3261 §7 message format, §20 header fields).
 */
import type { CSeq, HeaderField, HeaderId, NameAddr, SipRequest, SipResponse, SipUri, Span, Via } from './message.js';
import { HeaderId as H } from './message.js';
import { COMMA, CR, HTAB, LF, SP, isLws, latin1, skipLws } from './bytes.js';
import { parseMaxForwards, parseRetryAfter } from './parse-headers.js';
import { parseNameAddr, parseNameAddrList } from './parse-name-addr.js';
import { NO_PARAMS, parseSipUri } from './parse-uri.js';
import { parseViaLine } from './parse-via.js';

/** One header line as located by the scanner (a class so that every instance shares one shape). */
export class Field implements HeaderField {
  constructor(
    readonly id: HeaderId,
    readonly lineStart: number,
    readonly lineEnd: number,
    readonly valueStart: number,
    readonly valueEnd: number,
  ) {}
}

/** What the scanner hands to the message constructors. */
export interface ScanState {
  readonly buf: Buffer;
  readonly headers: readonly HeaderField[];
  /** Index into `headers` of the first line of each HeaderId, -1 when absent. */
  readonly firstIndex: readonly number[];
  readonly headersStart: number;
  readonly headersEnd: number;
  readonly bodyStart: number;
}

/**
 * A From/To value that does not parse as name-addr/addr-spec. RFC 3261 §8.2 asks a UAS to
 * tolerate that, and the proxy only needs the raw text, so the value degrades instead of failing.
 */
function opaqueNameAddr(fieldIndex: number, span: Span, text: string): NameAddr {
  return { fieldIndex, span, displayName: undefined, uriText: text, uri: undefined, params: NO_PARAMS, malformed: true };
}

/**
 * Lists whose length is known only once parsed (the Vias, the Route entries) are collected in one
 * scratch list per kind, kept for all messages, and copied out at their final size: a fresh
 * array grown by `push` takes a 17-slot backing store for its 1-3 values (~150 bytes a message,
 * bench/PERF-NOTES.md session 9). The scratch keeps its own count: resetting an array's `length`
 * is a call into C++ (~1 000 instructions under callgrind), an index store is not.
 */
class Scratch<T> {
  readonly #items: (T | undefined)[] = [];
  #n = 0;

  get length(): number {
    return this.#n;
  }

  start(): this {
    this.#n = 0;
    return this;
  }

  push(v: T): number {
    this.#items[this.#n++] = v;
    return this.#n;
  }

  /** The values collected since `start`, in an array of their own; the scratch lets them go. */
  take(): T[] {
    const items = this.#items;
    const n = this.#n;
    // 1-3 values (nearly every message): a literal, allocated inline by optimised code; `slice`
    // is a builtin call (~20 instructions a value more under callgrind).
    const out = (n === 1 ? [items[0]] : n === 2 ? [items[0], items[1]] : n === 3 ? [items[0], items[1], items[2]] : items.slice(0, n)) as T[];
    for (let i = 0; i < n; i++) items[i] = undefined;
    this.#n = 0;
    return out;
  }
}

const viaScratch = new Scratch<Via>();
const nameAddrScratch = new Scratch<NameAddr>();
const NO_NAME_ADDRS: readonly NameAddr[] = Object.freeze([]);

abstract class ParsedMessage {
  readonly buf: Buffer;
  readonly headers: readonly HeaderField[];
  readonly headersStart: number;
  readonly headersEnd: number;
  readonly bodyStart: number;
  readonly bodyLength: number;
  readonly #firstIndex: readonly number[];
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

  constructor(s: ScanState, bodyLength: number, cseq: CSeq | undefined, topVia: Via | undefined) {
    this.buf = s.buf;
    this.headers = s.headers;
    this.headersStart = s.headersStart;
    this.headersEnd = s.headersEnd;
    this.bodyStart = s.bodyStart;
    this.bodyLength = bodyLength;
    this.#firstIndex = s.firstIndex;
    this.#cseq = cseq;
    this.#topVia = topVia;
  }

  first(id: HeaderId): HeaderField | undefined {
    const i = this.#firstIndex[id] ?? -1;
    return i < 0 ? undefined : this.headers[i];
  }

  valueOf(field: HeaderField): string {
    const { buf } = this;
    const s = field.valueStart;
    const e = field.valueEnd;
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

  callId(): string {
    if (this.#callId === undefined) {
      const f = this.first(H.CALL_ID);
      this.#callId = f === undefined ? '' : latin1(this.buf, f.valueStart, f.valueEnd);
    }
    return this.#callId;
  }

  cseq(): CSeq {
    // Always primed by the parser: a message without a valid CSeq is never constructed as ok.
    return this.#cseq ?? { seq: 0, method: '' };
  }

  topVia(): Via {
    return this.#topVia ?? { fieldIndex: -1, span: { start: 0, end: 0 }, transport: '', host: '', port: undefined, params: [], branch: undefined, received: undefined, rport: undefined };
  }

  vias(): readonly Via[] | undefined {
    if (this.#vias === null) {
      const out = viaScratch.start();
      let ok = true;
      let i = 0;
      const top = this.#topVia;
      const topField = top === undefined ? undefined : this.headers[top.fieldIndex];
      if (top !== undefined && topField !== undefined) {
        // The scanner already parsed the top value: continue after it on its line (a ',' and
        // more values, §7.3.1), then with the Via lines below.
        out.push(top);
        const { buf } = this;
        const rest = skipLws(buf, top.span.end, topField.valueEnd);
        if (rest < topField.valueEnd) ok = buf[rest] === COMMA && parseViaLine(buf, rest + 1, topField.valueEnd, top.fieldIndex, out);
        i = top.fieldIndex + 1;
      }
      for (; i < this.headers.length && ok; i++) {
        const f = this.headers[i];
        if (f !== undefined && f.id === H.VIA) ok = parseViaLine(this.buf, f.valueStart, f.valueEnd, i, out);
      }
      this.#vias = ok && out.length > 0 ? out.take() : undefined;
    }
    return this.#vias;
  }

  maxForwards(): number | undefined {
    if (this.#maxForwards === null) {
      const f = this.first(H.MAX_FORWARDS);
      this.#maxForwards = f === undefined ? undefined : parseMaxForwards(this.buf, f.valueStart, f.valueEnd);
    }
    return this.#maxForwards;
  }

  #nameAddrList(id: HeaderId): readonly NameAddr[] | undefined {
    const out = nameAddrScratch.start();
    for (let i = 0; i < this.headers.length; i++) {
      const f = this.headers[i];
      if (f !== undefined && f.id === id && !parseNameAddrList(this.buf, f.valueStart, f.valueEnd, i, out)) return undefined;
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
    const i = this.#firstIndex[id] ?? -1;
    const f = this.headers[i];
    if (f === undefined) return opaqueNameAddr(-1, { start: 0, end: 0 }, '');
    return parseNameAddr(this.buf, f.valueStart, f.valueEnd, i) ?? opaqueNameAddr(i, { start: f.valueStart, end: f.valueEnd }, this.valueOf(f));
  }

  from(): NameAddr {
    return (this.#from ??= this.#nameAddr(H.FROM));
  }

  to(): NameAddr {
    return (this.#to ??= this.#nameAddr(H.TO));
  }

  retryAfter(): number | undefined {
    if (this.#retryAfter === null) {
      const f = this.first(H.RETRY_AFTER);
      this.#retryAfter = f === undefined ? undefined : parseRetryAfter(this.buf, f.valueStart, f.valueEnd);
    }
    return this.#retryAfter;
  }
}

export class ParsedRequest extends ParsedMessage implements SipRequest {
  readonly kind = 'request' as const;
  readonly method: string;
  readonly uriSpan: Span;
  #uriText: string | undefined;
  #requestUri: SipUri | undefined | null = null;

  constructor(s: ScanState, bodyLength: number, cseq: CSeq | undefined, topVia: Via | undefined, method: string, uriSpan: Span) {
    super(s, bodyLength, cseq, topVia);
    this.method = method;
    this.uriSpan = uriSpan;
  }

  get uriText(): string {
    return (this.#uriText ??= latin1(this.buf, this.uriSpan.start, this.uriSpan.end));
  }

  requestUri(): SipUri | undefined {
    if (this.#requestUri === null) this.#requestUri = parseSipUri(this.buf, this.uriSpan.start, this.uriSpan.end);
    return this.#requestUri;
  }
}

export class ParsedResponse extends ParsedMessage implements SipResponse {
  readonly kind = 'response' as const;
  readonly status: number;
  readonly #reasonSpan: Span;
  #reason: string | undefined;

  constructor(s: ScanState, bodyLength: number, cseq: CSeq | undefined, topVia: Via | undefined, status: number, reasonSpan: Span) {
    super(s, bodyLength, cseq, topVia);
    this.status = status;
    this.#reasonSpan = reasonSpan;
  }

  get reason(): string {
    return (this.#reason ??= latin1(this.buf, this.#reasonSpan.start, this.#reasonSpan.end));
  }
}
