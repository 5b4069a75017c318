/**
 * @module sip/serialize
 * Message → bytes by editing the received datagram: a proxy changes a few byte ranges (push or
 * pop a Via, decrement Max-Forwards, drop a Route) and forwards every other byte untouched, which
 * keeps headers it does not understand exactly as received (RFC 3261 §16.6: a proxy MUST NOT
 * reorder or modify header fields it does not need to). Edits are values; {@link applyEdits}
 * makes one allocation for the result.
 */
import type { Edit, HeaderField, SipMessage, Span } from './message.js';
import { SiplbError } from '../errors.js';
import { COMMA, isLws, writeLatin1 } from './bytes.js';
import { BufferSlabs } from './buffer-slabs.js';

function insertLength(e: Edit): number {
  // A latin1 string is one byte per UTF-16 unit.
  return e.insert.length;
}

/** Whether `b` must come before `a`: a smaller start, or an insert (start === end) before a replacement at the same offset. */
function before(b: Edit, a: Edit): boolean {
  return b.start < a.start || (b.start === a.start && a.end > a.start && b.end === b.start);
}

/**
 * Edits ordered by start; inserts go before a replacement at the same offset; ties keep their
 * order. A forwarded message has a handful of edits, mostly in order already: an insertion sort
 * on a copy, made only when needed, beats `Array#sort` with a comparator closure.
 */
function ordered(edits: readonly Edit[], count: number): readonly Edit[] {
  let sorted: Edit[] | undefined;
  for (let i = 1; i < count; i++) {
    const b = edits[i]!;
    const list: readonly Edit[] = sorted ?? edits;
    if (!before(b, list[i - 1]!)) continue;
    sorted ??= edits.slice(0, count);
    let j = i;
    while (j > 0 && before(b, sorted[j - 1]!)) {
      sorted[j] = sorted[j - 1]!;
      j--;
    }
    sorted[j] = b;
  }
  return sorted ?? edits;
}

/**
 * `buf` with every edit applied: `buf[start, end)` replaced by `insert` (a string is written as
 * latin1, one byte per char). Edits must not overlap; they may come in any order. With no edits
 * `buf` itself is returned. Throws `SIPLB_ERR_INTERNAL` on overlapping or out-of-range edits,
 * which are programming errors in the caller, never a property of the received message.
 * `count`: only the first `count` edits are applied (a caller may fill one reused array).
 */
export function applyEdits(buf: Buffer, edits: readonly Edit[], count: number = edits.length): Buffer {
  if (count === 0) return buf;
  const list = ordered(edits, count);
  let total = buf.length;
  let prevEnd = 0;
  for (let i = 0; i < count; i++) {
    const e = list[i]!;
    if (!(e.start >= prevEnd && e.end >= e.start && e.end <= buf.length)) {
      throw new SiplbError('SIPLB_ERR_INTERNAL', `invalid or overlapping edit [${e.start}, ${e.end}) for a ${buf.length}-byte message`);
    }
    total += insertLength(e) - (e.end - e.start);
    prevEnd = e.end;
  }
  const out = outSlabs.alloc(total);
  let o = 0;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const e = list[i]!;
    o += copyRange(buf, out, o, pos, e.start);
    const ins = e.insert;
    o += typeof ins === 'string' ? writeString(out, ins, o) : ins.copy(out, o);
    pos = e.end;
  }
  copyRange(buf, out, o, pos, buf.length);
  return out;
}

/**
 * Output buffers are carved from 256 KiB slabs (./buffer-slabs.ts): one allocation per ~200
 * messages. A slab is never rewritten, so a send still queued in the kernel path keeps its bytes;
 * an output kept for long would keep its whole slab alive, so a caller that stores one (none
 * does: both proxy paths send and drop it) must keep a copy instead.
 */
const outSlabs = new BufferSlabs(256 * 1024, 16 * 1024);

/**
 * Below this many bytes a JS loop beats a call into C++ (`Buffer#copy`, `latin1Write`), whose
 * fixed cost dominates for the short pieces edits produce: a Max-Forwards value, an empty
 * removal, the few bytes between two nearby edits. (64 was tried in session 9: ~1 000 more
 * instructions per message under callgrind than the C++ calls it saved, bench/PERF-NOTES.md.)
 */
const SHORT_COPY = 24;

function copyRange(src: Buffer, dst: Buffer, at: number, start: number, end: number): number {
  const n = end - start;
  if (n > SHORT_COPY) return src.copy(dst, at, start, end);
  for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  return n;
}

function writeString(dst: Buffer, s: string, at: number): number {
  const n = s.length;
  if (n > SHORT_COPY) return writeLatin1(dst, s, at);
  for (let i = 0; i < n; i++) dst[at + i] = s.charCodeAt(i) & 0xff;
  return n;
}

/**
 * RFC 3261 §18.3: over a datagram transport, bytes after the body that Content-Length declares are
 * discarded. The edit cutting them from a forwarded copy, or `undefined` when there are none.
 */
export function trailingBytesEdit(msg: SipMessage): Edit | undefined {
  const end = msg.bodyStart + msg.bodyLength;
  return end < msg.buf.length ? { start: end, end: msg.buf.length, insert: '' } : undefined;
}

/** An edit inserting `text` at `offset`, e.g. whole header lines (`"Via: ...\r\n"`) at a line start. */
export function insertAt(offset: number, text: string | Buffer): Edit {
  return { start: offset, end: offset, insert: text };
}

/** An edit replacing a span (a header value, a parameter, the Request-URI) with `text`. */
export function replaceSpan(span: Span, text: string | Buffer): Edit {
  return { start: span.start, end: span.end, insert: text };
}

/** An edit deleting a whole header line, its line end and any folded continuation lines included. */
export function removeLine(field: HeaderField): Edit {
  return { start: field.lineStart, end: field.lineEnd, insert: '' };
}

/**
 * An edit removing one value of a comma-separated header (a Via, a Route) at `item.span` on line
 * `item.fieldIndex` (§7.3.1: `a, b` on one line equals two lines). The only value → the whole
 * line goes; the first of several → it goes with the comma and whitespace after it; a later one →
 * it goes with the comma (and whitespace) before it.
 */
export function removeListValue(msg: SipMessage, item: { readonly fieldIndex: number; readonly span: Span }): Edit {
  const i = item.fieldIndex;
  const { start, end } = item.span;
  const valueStart = i >= 0 && i < msg.headerCount ? msg.valueStartAt(i) : -1;
  const valueEnd = valueStart < 0 ? -1 : msg.valueEndAt(i);
  if (valueStart < 0 || start < valueStart || end > valueEnd) {
    throw new SiplbError('SIPLB_ERR_INTERNAL', `list value [${start}, ${end}) is not on header line ${i}`);
  }
  const { buf } = msg;
  let before = start;
  while (before > valueStart && isLws(buf[before - 1])) before--;
  let after = end;
  while (after < valueEnd && isLws(buf[after])) after++;
  const isFirst = before === valueStart;
  const isLast = after === valueEnd;
  if (isFirst && isLast) return { start: msg.lineStartAt(i), end: msg.lineEndAt(i), insert: '' };
  if (isFirst) {
    // `a , b` → `b`: drop the value, the comma and the whitespace up to the next value.
    let next = after + (buf[after] === COMMA ? 1 : 0);
    while (next < valueEnd && isLws(buf[next])) next++;
    return { start, end: next, insert: '' };
  }
  // `a , b` → `a`: drop from just after the previous value (its trailing whitespace, the comma) to our end.
  let prev = before - (buf[before - 1] === COMMA ? 1 : 0);
  while (prev > valueStart && isLws(buf[prev - 1])) prev--;
  return { start: prev, end, insert: '' };
}

/**
 * Edits removing several values of comma-separated headers, in message order (e.g. the two Route
 * entries of an RFC 5658 pair). Values next to each other on one line (`<a>, <b>`) are removed as
 * one span, so the edits never overlap; each span then goes as removeListValue says.
 */
export function removeListValues(msg: SipMessage, items: readonly { readonly fieldIndex: number; readonly span: Span }[]): Edit[] {
  // One value (our Route, the common case): an array of one, not one grown by push to 17 slots.
  if (items.length === 1) return [removeListValue(msg, items[0]!)];
  const out: Edit[] = [];
  for (let i = 0; i < items.length; ) {
    const first = items[i]!;
    let last = first;
    let j = i + 1;
    while (j < items.length && items[j]!.fieldIndex === first.fieldIndex && onlySeparators(msg.buf, last.span.end, items[j]!.span.start)) last = items[j++]!;
    out.push(last === first ? removeListValue(msg, first) : removeListValue(msg, { fieldIndex: first.fieldIndex, span: { start: first.span.start, end: last.span.end } }));
    i = j;
  }
  return out;
}

/** Only commas and linear white space between `from` and `to`. */
function onlySeparators(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (buf[k] !== COMMA && !isLws(buf[k])) return false;
  return from <= to;
}
