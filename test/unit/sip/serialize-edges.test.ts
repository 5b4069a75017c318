import { describe, it, expect } from 'vitest';
import { HeaderId, applyEdits, insertAt, parseSip, removeListValue, removeListValues, trailingBytesEdit } from '../../../src/sip/index.js';
import type { Edit, SipMessage } from '../../../src/sip/index.js';
import { isSiplbError } from '../../../src/errors.js';

function parseOk(text: string): SipMessage {
  const r = parseSip(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(`expected ok, got ${r.error.reason}: ${r.error.detail}`);
  return r.msg;
}

/** An OPTIONS with the given extra header lines and body; Content-Length as given (default: body length). */
function msgWith(lines: string[], body = '', contentLength = body.length): SipMessage {
  return parseOk(
    [
      'OPTIONS sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-s1',
      'From: <sip:alice@example.com>;tag=f1',
      'To: <sip:bob@example.com>',
      'Call-ID: ser-1@example.com',
      'CSeq: 1 OPTIONS',
      ...lines,
      `Content-Length: ${contentLength}`,
      '',
      body,
    ].join('\r\n'),
  );
}

const text = (b: Buffer) => b.toString('latin1');

function line(msg: SipMessage, id: HeaderId, nth = 0) {
  const fs = msg.headers.filter((h) => h.id === id);
  const f = fs[nth];
  if (f === undefined) throw new Error('fixture');
  return { f, index: msg.headers.indexOf(f) };
}

/** The text of `msg` after the edits, from the first header line of `id` to the end of headers. */
function applied(msg: SipMessage, edits: readonly Edit[]): string {
  return text(applyEdits(msg.buf, edits));
}

describe('applyEdits edges', () => {
  it('returns the very same buffer with no edits or count 0', () => {
    const buf = Buffer.from('0123456789');
    expect(applyEdits(buf, [])).toBe(buf);
    expect(applyEdits(buf, [insertAt(3, 'x')], 0)).toBe(buf);
  });

  it('applies only the first `count` edits', () => {
    const buf = Buffer.from('0123456789');
    const edits: Edit[] = [insertAt(1, 'a'), insertAt(5, 'b'), { start: 8, end: 9, insert: 'c' }];
    expect(text(applyEdits(buf, edits, 1))).toBe('0a123456789');
    expect(text(applyEdits(buf, edits, 2))).toBe('0a1234b56789');
    expect(text(applyEdits(buf, edits, 3))).toBe('0a1234b567c9');
    // an edit past `count` is not even validated
    expect(text(applyEdits(buf, [insertAt(2, 'z'), { start: 9, end: 3, insert: '' }], 1))).toBe('01z23456789');
  });

  it('sorts only the first `count` edits, and never reorders the caller array', () => {
    const buf = Buffer.from('0123456789');
    const edits: Edit[] = [insertAt(7, 'b'), insertAt(2, 'a'), insertAt(0, 'Z')];
    expect(text(applyEdits(buf, edits, 2))).toBe('01a23456b789');
    expect(edits.map((e) => e.start)).toEqual([7, 2, 0]);
    expect(text(applyEdits(buf, edits))).toBe('Z01a23456b789');
    expect(edits.map((e) => e.start)).toEqual([7, 2, 0]);
  });

  it('keeps two inserts at one offset in their given order', () => {
    const buf = Buffer.from('0123456789');
    expect(text(applyEdits(buf, [insertAt(5, 'A'), insertAt(5, 'B')]))).toBe('01234AB56789');
    expect(text(applyEdits(buf, [insertAt(5, 'B'), insertAt(5, 'A')]))).toBe('01234BA56789');
    expect(text(applyEdits(buf, [{ start: 5, end: 6, insert: 'R' }, insertAt(5, 'I')]))).toBe('01234IR6789');
    expect(text(applyEdits(buf, [insertAt(5, 'I'), { start: 5, end: 6, insert: 'R' }]))).toBe('01234IR6789');
  });

  it('copies long and short runs and long and short inserts exactly', () => {
    const long = 'x'.repeat(23) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' + 'y'.repeat(40);
    const buf = Buffer.from(long, 'latin1');
    for (const n of [23, 24, 25, 26]) {
      const ins = 'i'.repeat(n - 1) + '\u00e9';
      const out = applyEdits(buf, [{ start: n, end: n + 1, insert: ins }, { start: buf.length - 1, end: buf.length, insert: Buffer.from('!') }]);
      expect(text(out)).toBe(long.slice(0, n) + ins + long.slice(n + 1, -1) + '!');
    }
  });

  it('carves small outputs from a 256 KiB slab, 8-byte aligned, and gives large ones a buffer of their own', () => {
    const small = applyEdits(Buffer.from('abc'), [insertAt(3, 'd')]);
    expect(small.buffer.byteLength).toBe(256 * 1024);
    const next = applyEdits(Buffer.from('abc'), [insertAt(3, 'd')]);
    if (next.byteOffset !== 0) {
      expect(next.buffer).toBe(small.buffer);
      expect(next.byteOffset).toBe(small.byteOffset + 8);
    }
    const edge = Buffer.alloc(16384 - 1, 0x61);
    const atLimit = applyEdits(edge, [insertAt(0, 'b')]);
    expect(atLimit.length).toBe(16384);
    expect(atLimit.buffer.byteLength).toBe(256 * 1024);
    const over = applyEdits(edge, [insertAt(0, 'bc')]);
    expect(over.length).toBe(16385);
    expect(over.buffer.byteLength).not.toBe(256 * 1024);
    expect(text(over)).toBe('bc' + 'a'.repeat(16383));
  });

  it('starts a new slab exactly when the next output no longer fits', () => {
    const src = Buffer.alloc(16384 - 1, 0x61);
    const outs: Buffer[] = [];
    // Sixteen 16 KiB pieces fill a slab exactly; go round until a fresh slab starts, then 17 more.
    let k = 0;
    while (k++ < 40) {
      const o = applyEdits(src, [insertAt(0, 'z')]);
      if (o.byteOffset === 0) {
        outs.push(o);
        break;
      }
    }
    for (let i = 0; i < 16; i++) outs.push(applyEdits(src, [insertAt(0, 'z')]));
    expect(outs).toHaveLength(17);
    for (let i = 0; i < 16; i++) {
      expect(outs[i]!.buffer).toBe(outs[0]!.buffer);
      expect(outs[i]!.byteOffset).toBe(i * 16384);
    }
    expect(outs[16]!.buffer).not.toBe(outs[0]!.buffer);
    expect(outs[16]!.byteOffset).toBe(0);
    expect(text(outs[15]!)).toBe('z' + 'a'.repeat(16383));
  });
});

describe('trailingBytesEdit', () => {
  it('cuts bytes after the declared body', () => {
    const m = msgWith([], 'bodyTRAIL', 4);
    const e = trailingBytesEdit(m);
    expect(e).toEqual({ start: m.bodyStart + 4, end: m.buf.length, insert: '' });
    expect(text(applyEdits(m.buf, [e!])).endsWith('\r\n\r\nbody')).toBe(true);
  });

  it('is undefined when the datagram ends with the body', () => {
    expect(trailingBytesEdit(msgWith([], 'body'))).toBeUndefined();
    expect(trailingBytesEdit(msgWith([]))).toBeUndefined();
  });

  it('cuts one trailing byte', () => {
    const m = msgWith([], 'abc', 2);
    expect(trailingBytesEdit(m)).toEqual({ start: m.buf.length - 1, end: m.buf.length, insert: '' });
  });
});

describe('removeListValue edges', () => {
  it('throws SIPLB_ERR_INTERNAL with the span and line in the message', () => {
    const m = msgWith(['Route: <sip:a.example.com;lr>']);
    const { f, index } = line(m, HeaderId.ROUTE);
    const bad = [
      { fieldIndex: 99, span: { start: f.valueStart, end: f.valueEnd } },
      { fieldIndex: index, span: { start: f.valueStart - 1, end: f.valueEnd } },
      { fieldIndex: index, span: { start: f.valueStart, end: f.valueEnd + 1 } },
    ];
    for (const item of bad) {
      let caught: unknown;
      try {
        removeListValue(m, item);
      } catch (err) {
        caught = err;
      }
      expect(isSiplbError(caught) && caught.code).toBe('SIPLB_ERR_INTERNAL');
      expect((caught as Error).message).toBe(`list value [${item.span.start}, ${item.span.end}) is not on header line ${item.fieldIndex}`);
    }
  });

  it('removes the first value with the whitespace before the comma and after it', () => {
    const m = msgWith(['Route: <sip:a>  ,  <sip:b>']);
    const r = m.routes()!;
    expect(applied(m, [removeListValue(m, r[0]!)])).toContain('\r\nRoute: <sip:b>\r\n');
    expect(applied(m, [removeListValue(m, r[1]!)])).toContain('\r\nRoute: <sip:a>\r\n');
  });

  it('removes the first value with only the comma when nothing else separates', () => {
    const m = msgWith(['Route: <sip:a>,<sip:b>']);
    const r = m.routes()!;
    expect(applied(m, [removeListValue(m, r[0]!)])).toContain('\r\nRoute: <sip:b>\r\n');
    expect(applied(m, [removeListValue(m, r[1]!)])).toContain('\r\nRoute: <sip:a>\r\n');
  });

  it('removes only the span when no comma follows or precedes it', () => {
    const m = msgWith(['X-List: abcdef']);
    const { f, index } = line(m, HeaderId.OTHER);
    const s = f.valueStart;
    expect(applied(m, [removeListValue(m, { fieldIndex: index, span: { start: s, end: s + 3 } })])).toContain('\r\nX-List: def\r\n');
    expect(applied(m, [removeListValue(m, { fieldIndex: index, span: { start: s + 3, end: s + 6 } })])).toContain('\r\nX-List: abc\r\n');
    expect(applied(m, [removeListValue(m, { fieldIndex: index, span: { start: s + 1, end: s + 3 } })])).toContain('\r\nX-List: adef\r\n');
  });

  it('removes the first value up to the line end, not past it, when only whitespace follows its comma', () => {
    const m = msgWith(['X-List: abc,   ']);
    const { f, index } = line(m, HeaderId.OTHER);
    expect(f.valueEnd - f.valueStart).toBe(4);
    expect(applied(m, [removeListValue(m, { fieldIndex: index, span: { start: f.valueStart, end: f.valueStart + 3 } })])).toContain('\r\nX-List:    \r\n');
  });

  it('never eats into the header name when the value starts with a comma', () => {
    const m = msgWith(['X-List: , abc']);
    const { f, index } = line(m, HeaderId.OTHER);
    expect(applied(m, [removeListValue(m, { fieldIndex: index, span: { start: f.valueEnd - 3, end: f.valueEnd } })])).toContain('\r\nX-List: \r\n');
  });
});

describe('removeListValues', () => {
  const m = msgWith(['Route: <sip:a>, <sip:b>, <sip:c>', 'Route: <sip:d>']);
  const r = m.routes()!;

  it('one item: the same edit as removeListValue', () => {
    expect(removeListValues(m, [r[1]!])).toEqual([removeListValue(m, r[1]!)]);
    expect(removeListValues(m, [r[3]!])).toEqual([removeListValue(m, r[3]!)]);
  });

  it('no items: no edits', () => {
    expect(removeListValues(m, [])).toEqual([]);
  });

  it('merges neighbours on one line into one span', () => {
    const edits = removeListValues(m, [r[0]!, r[1]!]);
    expect(edits).toHaveLength(1);
    expect(edits[0]).toEqual({ start: r[0]!.span.start, end: r[2]!.span.start, insert: '' });
    expect(applied(m, edits)).toContain('\r\nRoute: <sip:c>\r\nRoute: <sip:d>\r\n');
    const tail = removeListValues(m, [r[1]!, r[2]!]);
    expect(tail).toEqual([{ start: r[0]!.span.end, end: r[2]!.span.end, insert: '' }]);
    expect(applied(m, tail)).toContain('\r\nRoute: <sip:a>\r\nRoute: <sip:d>\r\n');
  });

  it('removes the whole line when every value on it goes', () => {
    const edits = removeListValues(m, [r[0]!, r[1]!, r[2]!]);
    const { f } = line(m, HeaderId.ROUTE);
    expect(edits).toEqual([{ start: f.lineStart, end: f.lineEnd, insert: '' }]);
  });

  it('keeps separate edits for values with another value between them', () => {
    const edits = removeListValues(m, [r[0]!, r[2]!]);
    expect(edits).toEqual([removeListValue(m, r[0]!), removeListValue(m, r[2]!)]);
    expect(applied(m, edits)).toContain('\r\nRoute: <sip:b>\r\nRoute: <sip:d>\r\n');
  });

  it('keeps separate edits for values on different lines', () => {
    const edits = removeListValues(m, [r[2]!, r[3]!]);
    expect(edits).toEqual([removeListValue(m, r[2]!), removeListValue(m, r[3]!)]);
    expect(applied(m, edits)).toContain('\r\nRoute: <sip:a>, <sip:b>\r\nContent-Length');
  });

  it('does not merge values given out of message order', () => {
    const edits = removeListValues(m, [r[1]!, r[0]!]);
    expect(edits).toEqual([removeListValue(m, r[1]!), removeListValue(m, r[0]!)]);
  });

  it('merges spans that touch with nothing between them', () => {
    const mm = msgWith(['X-List: abcdef, g']);
    const { f, index } = line(mm, HeaderId.OTHER);
    const s = f.valueStart;
    const edits = removeListValues(mm, [
      { fieldIndex: index, span: { start: s, end: s + 3 } },
      { fieldIndex: index, span: { start: s + 3, end: s + 6 } },
    ]);
    expect(edits).toEqual([{ start: s, end: s + 8, insert: '' }]);
  });
});
