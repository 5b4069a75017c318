/**
 * The hot path's byte helpers: the short-string cache must be invisible (always the same text as a
 * plain decode, whatever collides in its slots), and the edit splicer's short-copy loops must write
 * exactly what Buffer#copy and latin1 writes would.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { internLatin1, latin1, methodString, paramName } from '../../../src/sip/bytes.js';
import { applyEdits, parseSip } from '../../../src/sip/index.js';

describe('internLatin1', () => {
  it('returns the same text as latin1 for any bytes, including slot collisions and long strings', () => {
    // Many distinct short strings through a 512-slot table force collisions and evictions.
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 2000 }), (chunks) => {
        for (const c of chunks) {
          const buf = Buffer.concat([Buffer.from('x'), Buffer.from(c), Buffer.from('y')]);
          expect(internLatin1(buf, 1, 1 + c.length)).toBe(latin1(buf, 1, 1 + c.length));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('hands out one string for repeated bytes', () => {
    const a = Buffer.from('Via: 192.0.2.10', 'latin1');
    const b = Buffer.from('From 192.0.2.10;', 'latin1');
    expect(internLatin1(b, 5, 15)).toBe('192.0.2.10');
    expect(Object.is(internLatin1(a, 5, 15), internLatin1(b, 5, 15))).toBe(true);
  });
});

describe('applyEdits short pieces', () => {
  it('splices short and long inserts and gaps exactly as a string rebuild would', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }).map((s) => Buffer.from(s, 'latin1')),
        fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.string({ maxLength: 60 })), { maxLength: 6 }),
        (buf, raw) => {
          // Non-overlapping edits in random order, each replacing [start, start+len) with text.
          const edits: { start: number; end: number; insert: string }[] = [];
          let taken: Array<[number, number]> = [];
          for (const [s, l, text] of raw) {
            const start = s % (buf.length + 1);
            const end = Math.min(buf.length, start + l);
            if (taken.some(([a, z]) => start < z && end > a) || taken.some(([a, z]) => a === z && a === start)) continue;
            taken = [...taken, [start, end]];
            edits.push({ start, end, insert: Array.from(text, (ch) => (ch.charCodeAt(0) > 0xff ? '?' : ch)).join('') });
          }
          // The documented order: by start; at one offset an insert goes before a replacement.
          const sorted = [...edits].sort((x, y) => x.start - y.start || (x.end > x.start ? 1 : 0) - (y.end > y.start ? 1 : 0));
          let expected = '';
          let pos = 0;
          const src = buf.toString('latin1');
          for (const e of sorted) {
            expected += src.slice(pos, e.start) + e.insert;
            pos = e.end;
          }
          expected += src.slice(pos);
          expect(applyEdits(buf, edits).toString('latin1')).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('vias() after the scanner parsed the top Via', () => {
  const msg = (via: string) => {
    const r = parseSip(Buffer.from(`SIP/2.0 200 OK\r\n${via}\r\nVia: SIP/2.0/UDP c;branch=z9hG4bK-c\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: v@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`, 'latin1'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.msg;
  };
  it('reuses the top Via and continues after it on its line, then below', () => {
    const m = msg('Via: SIP/2.0/UDP a;branch=z9hG4bK-a , SIP/2.0/TCP b:5070;branch=z9hG4bK-b');
    const vias = m.vias() ?? [];
    expect(vias[0]).toBe(m.topVia());
    expect(vias.map((v) => [v.host, v.transport, v.branch, v.fieldIndex])).toEqual([
      ['a', 'UDP', 'z9hG4bK-a', 0],
      ['b', 'TCP', 'z9hG4bK-b', 0],
      ['c', 'UDP', 'z9hG4bK-c', 1],
    ]);
  });
  it('is undefined when a later value of the top line is malformed', () => {
    expect(msg('Via: SIP/2.0/UDP a;branch=z9hG4bK-a, SIP/9/UDP b').vias()).toBeUndefined();
  });
});

describe('methodString and paramName', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  it('hands out the table entry for every known method and decodes anything else exactly (case-sensitive, §7.1)', () => {
    for (const m of ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']) {
      expect(methodString(b(` ${m} `), 1, m.length + 1)).toBe(m);
    }
    for (const other of ['invite', 'FOO', 'INVITED', 'X', 'BYF', 'ACKS', 'REFERS']) expect(methodString(b(other), 0, other.length)).toBe(other);
  });

  it('lower-cases parameter names, known or not (§7.3.1, §19.1.4)', () => {
    for (const [raw, want] of [['Branch', 'branch'], ['RPORT', 'rport'], ['received', 'received'], ['LR', 'lr'], ['Q', 'q'], ['tAg', 'tag'], ['TTL', 'ttl'], ['Transport', 'transport'], ['X-Foo', 'x-foo'], ['tab', 'tab'], ['rports', 'rports']] as const) {
      expect(paramName(b(`;${raw}=`), 1, raw.length + 1)).toBe(want);
    }
  });
});

describe('applyEdits output buffers', () => {
  it('never hands out overlapping memory: every earlier output keeps its bytes while thousands more are made', () => {
    const src = Buffer.from('INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\n\r\n', 'latin1');
    const outs: Buffer[] = [];
    for (let i = 0; i < 5000; i++) outs.push(applyEdits(src, [{ start: 0, end: 0, insert: `X-N: ${i}\r\n`.padEnd(40 + (i % 97), '.') }]));
    outs.forEach((o, i) => expect(o.toString('latin1')).toBe(`X-N: ${i}\r\n`.padEnd(40 + (i % 97), '.') + src.toString('latin1')));
  });

  it('builds a message larger than a slab piece in a buffer of its own', () => {
    const big = Buffer.alloc(40_000, 0x61);
    const out = applyEdits(big, [{ start: 0, end: 0, insert: 'head' }]);
    expect(out.length).toBe(40_004);
    expect(out.subarray(0, 5).toString('latin1')).toBe('heada');
  });
});
