/**
 * @module transport/stream-framer
 * Finds SIP message boundaries in a TCP/TLS byte stream, one framer per connection. Pure: no
 * sockets, no timers; the transport pushes each chunk it reads and acts on what the sink is told.
 *
 * The rules (RFC 3261 §18.3, §7.5, §20.14; RFC 5626 §4.4.1):
 * - CRLFs before a start line are skipped (§7.5). A CRLFCRLF there is a keep-alive ping (RFC 5626
 *   §4.4.1) and the sink is told so the transport answers one CRLF (the pong). The ping is a state
 *   of this parser that survives across chunks, not a guess from the read size.
 * - Content-Length (long or compact `l:`) is mandatory on a stream: it is the only way to find the
 *   end of a message (§18.3). Missing → {@link FramerSink.onMissingContentLength} with the header
 *   bytes (the transport answers 400 and closes). Not a number, negative, two different values,
 *   or over the message cap → {@link FramerSink.onFatal}: the next boundary cannot be found, so
 *   the connection must close at once (sipgo#344 spliced two peers' requests by going on).
 * - Header and message caps bound the memory one connection can hold.
 *
 * Cost: a chunk holding whole messages is handed up as subarrays of the chunk (no copy). A
 * message split over chunks is copied once into a buffer that grows by doubling (or to its exact
 * size once Content-Length is known), and the header scan resumes at the line where it stopped,
 * so a message dribbled in byte by byte costs linear, not quadratic, time.
 */
import { CR, LF, SP, HTAB, TOKEN, eqLower, skipLws, trimLwsEnd } from '../sip/bytes.js';
import { headerIdOf } from '../sip/compact-forms.js';
import { HeaderId } from '../sip/message.js';
import { parseContentLength } from '../sip/parse-headers.js';

/** Why a stream was given up. Stable strings: they are metric label values. */
export type FramingErrorReason =
  /** The first bytes are not a SIP start line (e.g. a TLS ClientHello or HTTP on the TCP port). */
  | 'not-sip'
  /** No end of headers within {@link StreamFramerOptions.maxHeaderBytes}. */
  | 'headers-too-large'
  /** Content-Length would make the message larger than {@link StreamFramerOptions.maxMessageBytes}. */
  | 'too-large'
  /** Content-Length is not `1*DIGIT` (negative, empty, not a number, absurdly long). */
  | 'bad-content-length'
  /** Two Content-Length headers with different values (§20.14). */
  | 'conflicting-content-length';

export interface StreamFramerOptions {
  /** Largest start line plus headers, CRLFCRLF included. Kamailio's BUF_SIZE is 64 KiB for a whole message; headers past 16 KiB are abuse. @default 16384 */
  readonly maxHeaderBytes?: number;
  /** Largest whole message (headers and body). RFC 3261 §18.1.1 needs 65535 for UDP; a stream has no such limit, so this is policy. @default 65536 */
  readonly maxMessageBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16_384;
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/** What the framer reports. Called synchronously from {@link StreamFramer.push}. */
export interface FramerSink {
  /** One whole SIP message (start line, headers, Content-Length bytes of body). */
  onMessage(buf: Buffer): void;
  /** A CRLFCRLF between messages: answer with one CRLF (RFC 5626 §4.4.1). */
  onPing(): void;
  /** Headers ended without Content-Length: answer 400 built from `headers`, then close. The framer is finished. */
  onMissingContentLength(headers: Buffer): void;
  /** The stream cannot be resynchronised: close the connection at once. The framer is finished. */
  onFatal(reason: FramingErrorReason, detail: string): void;
}

type State = 'between' | 'headers' | 'body' | 'dead';

const EMPTY = Buffer.alloc(0);
const COLON = 0x3a;
/** Smallest buffer allocated to gather a split message (most SIP requests fit). */
const MIN_GATHER = 2048;

export class StreamFramer {
  readonly #maxHeader: number;
  readonly #maxMessage: number;
  #state: State = 'between';
  /** Unconsumed bytes are `#data[0, #len)`; a started message always begins at offset 0. */
  #data: Buffer = EMPTY;
  #len = 0;
  /** Whether `#data` beyond `#len` is ours to write into (a buffer we allocated and gave no part of away past #len). */
  #owned = false;
  /** Ping recogniser between messages: 0 none, 1 CR, 2 CRLF, 3 CRLFCR (a LF now completes CRLFCRLF). */
  #crlf = 0;
  // Header scan state, as offsets from the message start (so it survives the rebase between chunks).
  #lineStart = 0;
  #startLineDone = false;
  #fieldStart = -1;
  #fieldEnd = -1;
  #contentLength = -2; // -2: not seen yet
  /** Header plus body length, once the headers ended. */
  #total = 0;

  constructor(opts: StreamFramerOptions = {}) {
    this.#maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.#maxMessage = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Whether a message has started and is not complete (the transport's "finish a started message" deadline runs). */
  get midMessage(): boolean {
    return this.#state === 'headers' || this.#state === 'body';
  }

  /** Whether the framer gave up (fatal or missing Content-Length); it ignores further input. */
  get finished(): boolean {
    return this.#state === 'dead';
  }

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.#len;
  }

  /** Stop: further input is ignored and held bytes are released (the connection is closing). */
  finish(): void {
    this.#state = 'dead';
    this.#data = EMPTY;
    this.#len = 0;
    this.#owned = false;
  }

  /** Feed the next chunk read from the connection; outcomes go to `sink` before this returns. */
  push(chunk: Buffer, sink: FramerSink): void {
    if (this.#state === 'dead' || chunk.length === 0) return;
    let data: Buffer;
    let end: number;
    if (this.#len === 0) {
      data = chunk;
      end = chunk.length;
    } else {
      this.#append(chunk);
      data = this.#data;
      end = this.#len;
    }
    // Searches must not run into the unwritten capacity of a gathering buffer.
    const view = end === data.length ? data : data.subarray(0, end);
    let pos = 0;
    while (pos < end) {
      if (this.#state === 'between') {
        pos = this.#skipBetween(view, pos, end, sink);
        if (pos === end || this.finished) break;
        // A start line begins with a method (a token) or "SIP/": anything else is not SIP.
        if (TOKEN[view[pos] ?? 0] !== 1) return this.#fatal(sink, 'not-sip', `byte 0x${(view[pos] ?? 0).toString(16)} cannot start a SIP message`);
        this.#beginMessage();
      }
      if (this.#state === 'headers') {
        if (!this.#scanHeaders(view, pos, end, sink)) break;
      }
      if (this.#state === 'body') {
        if (end - pos < this.#total) break;
        const msg = view.subarray(pos, pos + this.#total);
        pos += this.#total;
        this.#state = 'between';
        sink.onMessage(msg);
        if (this.finished) return; // the sink closed the connection
      }
    }
    if (this.finished) return;
    this.#keep(data, pos, end);
  }

  /** Keep `data[pos, end)` for the next push, as a view (no copy). */
  #keep(data: Buffer, pos: number, end: number): void {
    if (pos >= end) {
      this.#data = EMPTY;
      this.#len = 0;
      this.#owned = false;
      return;
    }
    // Messages handed up lie before `pos`; the capacity after `end` of our own buffer is still ours.
    const mine = this.#owned && data === this.#data;
    this.#data = mine ? data.subarray(pos) : data.subarray(pos, end);
    this.#len = end - pos;
    this.#owned = mine;
  }

  /** Append a chunk to the held bytes, growing by doubling, or to the exact message size once known. */
  #append(chunk: Buffer): void {
    const need = this.#len + chunk.length;
    if (!this.#owned || this.#data.length < need) {
      const known = this.#state === 'body' ? this.#total : 0;
      const cap = Math.max(need, known, Math.min(2 * need, this.#maxMessage), MIN_GATHER);
      const grown = Buffer.allocUnsafe(cap);
      this.#data.copy(grown, 0, 0, this.#len);
      this.#data = grown;
      this.#owned = true;
    }
    chunk.copy(this.#data, this.#len);
    this.#len = need;
  }

  /** Skip CR/LF before a start line (§7.5), reporting each CRLFCRLF as a ping. Returns the first other offset. */
  #skipBetween(buf: Buffer, pos: number, end: number, sink: FramerSink): number {
    let s = this.#crlf;
    for (; pos < end; pos++) {
      const c = buf[pos];
      if (c === CR) s = s === 2 ? 3 : 1;
      else if (c === LF) {
        if (s === 3) {
          s = 0;
          this.#crlf = 0;
          sink.onPing();
          if (this.#state === 'dead') return end;
        } else s = s === 1 ? 2 : 0;
      } else break;
    }
    this.#crlf = s;
    return pos;
  }

  #beginMessage(): void {
    this.#state = 'headers';
    this.#crlf = 0;
    this.#lineStart = 0;
    this.#startLineDone = false;
    this.#fieldStart = -1;
    this.#fieldEnd = -1;
    this.#contentLength = -2;
    this.#total = 0;
  }

  /**
   * Scan complete header lines of the message starting at `pos`, resuming where the last call
   * stopped. True when the headers ended with a usable Content-Length (state is then 'body').
   */
  #scanHeaders(buf: Buffer, pos: number, end: number, sink: FramerSink): boolean {
    let ls = pos + this.#lineStart;
    for (;;) {
      const lf = findLF(buf, ls, end);
      if (lf < 0) {
        this.#lineStart = ls - pos;
        if (end - pos > this.#maxHeader) this.#fatal(sink, 'headers-too-large', `no end of headers within ${this.#maxHeader} bytes`);
        return false;
      }
      const ce = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
      if (!this.#startLineDone) {
        if (!isStartLine(buf, ls, ce)) {
          this.#fatal(sink, 'not-sip', 'first line is not a SIP request or status line');
          return false;
        }
        this.#startLineDone = true;
      } else if (ce === ls) {
        // The empty line: end of headers (§7).
        if (!this.#endField(buf, pos, sink)) return false;
        const headerLen = lf + 1 - pos;
        if (headerLen > this.#maxHeader) {
          this.#fatal(sink, 'headers-too-large', `headers of ${headerLen} bytes exceed ${this.#maxHeader}`);
          return false;
        }
        if (this.#contentLength === -2) {
          this.#state = 'dead';
          const headers = buf.subarray(pos, lf + 1);
          this.finish();
          sink.onMissingContentLength(headers);
          return false;
        }
        this.#total = headerLen + this.#contentLength;
        if (this.#total > this.#maxMessage) {
          this.#fatal(sink, 'too-large', `message of ${this.#total} bytes exceeds ${this.#maxMessage}`);
          return false;
        }
        this.#state = 'body';
        return true;
      } else if (buf[ls] === SP || buf[ls] === HTAB) {
        this.#fieldEnd = ce - pos; // a folded continuation of the current field (§7.3.1)
      } else {
        if (!this.#endField(buf, pos, sink)) return false;
        this.#fieldStart = ls - pos;
        this.#fieldEnd = ce - pos;
      }
      ls = lf + 1;
      if (ls - pos > this.#maxHeader) {
        this.#fatal(sink, 'headers-too-large', `no end of headers within ${this.#maxHeader} bytes`);
        return false;
      }
    }
  }

  /** The current header field is complete: if it is Content-Length, check and keep its value. False on a fatal value. */
  #endField(buf: Buffer, pos: number, sink: FramerSink): boolean {
    if (this.#fieldStart < 0) return true;
    const fs = pos + this.#fieldStart;
    const fe = pos + this.#fieldEnd;
    this.#fieldStart = -1;
    let colon = fs;
    while (colon < fe && buf[colon] !== COLON) colon++;
    if (colon === fe) return true; // not a header line; the message parser answers it, framing is unaffected
    if (headerIdOf(buf, fs, trimLwsEnd(buf, fs, colon)) !== HeaderId.CONTENT_LENGTH) return true;
    const v0 = skipLws(buf, colon + 1, fe);
    const v1 = trimLwsEnd(buf, v0, fe);
    const n = parseContentLength(buf, v0, v1);
    if (n < 0) {
      this.#fatal(sink, 'bad-content-length', `Content-Length "${buf.toString('latin1', v0, Math.min(v1, v0 + 20))}" is not a number`);
      return false;
    }
    if (this.#contentLength >= 0 && n !== this.#contentLength) {
      this.#fatal(sink, 'conflicting-content-length', `Content-Length ${this.#contentLength} and ${n}`);
      return false;
    }
    if (n > this.#maxMessage) {
      this.#fatal(sink, 'too-large', `Content-Length ${n} exceeds ${this.#maxMessage}`);
      return false;
    }
    this.#contentLength = n;
    return true;
  }

  #fatal(sink: FramerSink, reason: FramingErrorReason, detail: string): void {
    this.finish();
    sink.onFatal(reason, detail);
  }
}

/**
 * Offset of the first LF in buf[from, end), or -1. Header lines are short (tens of bytes), where
 * a plain loop beats the fixed cost of a call into Buffer#indexOf; past a line's usual length
 * memchr takes over (the same trade as sip/parse.ts).
 */
const LF_LOOP_BYTES = 128;
function findLF(buf: Buffer, from: number, end: number): number {
  const stop = Math.min(end, from + LF_LOOP_BYTES);
  for (let i = from; i < stop; i++) if (buf[i] === LF) return i;
  if (stop >= end) return -1;
  const i = buf.indexOf(LF, stop);
  return i < end ? i : -1;
}

/** A request line ends with a SIP-Version, a status line starts with one (§7.1, §7.2): either way "SIP/". */
function isStartLine(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= 4 && eqLower(buf, start, start + 4, 'sip/')) return true;
  const sp = buf.lastIndexOf(SP, end - 1);
  return sp > start && sp + 5 <= end && eqLower(buf, sp + 1, sp + 5, 'sip/');
}
