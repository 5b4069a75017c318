import { describe, it, expect } from 'vitest';
import { HeaderId, parseFirstVia, parseSip } from '../../../src/sip/index.js';
import type { SipMessage } from '../../../src/sip/index.js';

const MANDATORY = ['Via: SIP/2.0/UDP a.test;branch=z9hG4bK-1', 'From: <sip:a@a.test>;tag=1', 'To: <sip:b@b.test>', 'Call-ID: c1', 'CSeq: 1 OPTIONS'];

function parse(headers: readonly string[], startLine = 'OPTIONS sip:b@b.test SIP/2.0'): SipMessage {
  const r = parseSip(Buffer.from([startLine, ...headers, '', ''].join('\r\n'), 'latin1'));
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.msg;
}

/** The index accessors and the lazily made `headers` objects must say the same thing. */
function expectTableMatchesHeaders(m: SipMessage): void {
  expect(m.headerCount).toBe(m.headers.length);
  m.headers.forEach((f, i) => {
    expect([m.idAt(i), m.lineStartAt(i), m.lineEndAt(i), m.valueStartAt(i), m.valueEndAt(i)]).toEqual([f.id, f.lineStart, f.lineEnd, f.valueStart, f.valueEnd]);
    expect(m.valueAt(i)).toBe(m.valueOf(f));
  });
  for (const id of Object.values(HeaderId)) {
    const i = m.headers.findIndex((f) => f.id === id);
    expect(m.firstIndex(id), `firstIndex(${id})`).toBe(i);
    expect(m.first(id)).toBe(i < 0 ? undefined : m.headers[i]);
  }
}

describe('header table by line index', () => {
  it('agrees with the header objects, folded lines and a final line included', () => {
    const m = parse([...MANDATORY, 'Max-Forwards: 70', 'Subject: a', '\tb', 'Route: <sip:r1>, <sip:r2>', 'Route: <sip:r3>']);
    expectTableMatchesHeaders(m);
    expect(m.lineEndAt(m.headerCount - 1)).toBe(m.headersEnd);
    expect(m.valueAt(6)).toBe('a b');
  });

  it('keeps the headers array and its objects stable across calls', () => {
    const m = parse(MANDATORY);
    expect(m.headers).toBe(m.headers);
    expect(m.first(HeaderId.CALL_ID)).toBe(m.headers[3]);
  });

  it('finds first lines far down a long message (past the packed index range)', () => {
    const filler = Array.from({ length: 140 }, (_, i) => `X-F${i}: ${i}`);
    const m = parse([...filler, ...MANDATORY, 'User-Agent: ua', 'Server: s']);
    expect(m.firstIndex(HeaderId.VIA)).toBe(140);
    expect(m.firstIndex(HeaderId.SERVER)).toBe(146);
    expect(m.firstIndex(HeaderId.PROXY_REQUIRE)).toBe(-1);
    expect(m.callId()).toBe('c1');
    expect(m.topVia().fieldIndex).toBe(140);
    expectTableMatchesHeaders(m);
    // Line 125 is the last one with a packed index; 126 and later are found by a scan.
    const n = parse([...filler.slice(0, 125), 'Server: s125', 'User-Agent: u126', ...MANDATORY]);
    expect([n.firstIndex(HeaderId.SERVER), n.firstIndex(HeaderId.USER_AGENT)]).toEqual([125, 126]);
  });

  it('responses have the same accessors, and no Request-URI', () => {
    const m = parse(MANDATORY.map((h) => (h.startsWith('CSeq') ? 'CSeq: 1 INVITE' : h)), 'SIP/2.0 180 Ringing');
    expectTableMatchesHeaders(m);
    expect(m.kind).toBe('response');
    if (m.kind === 'response') expect([m.status, m.reason]).toEqual([180, 'Ringing']);
  });
});

describe('Via parameters read lazily', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');

  it('param(name) finds a parameter without listing them all, and agrees with params', () => {
    const text = 'SIP/2.0/UDP h;Branch=z9hG4bK-x;rport;received=192.0.2.1;flow=7;a="q"';
    const lazy = parseFirstVia(b(text), 0, text.length, 0)!;
    expect(lazy.param('flow')).toEqual({ name: 'flow', value: '7', span: { start: text.indexOf('flow'), end: text.indexOf('flow') + 6 } });
    expect(lazy.param('rport')).toEqual({ name: 'rport', value: undefined, span: { start: text.indexOf('rport'), end: text.indexOf('rport') + 5 } });
    expect(lazy.param('nope')).toBeUndefined();
    const full = parseFirstVia(b(text), 0, text.length, 0)!;
    for (const p of full.params) expect(full.param(p.name)).toBe(p);
    for (const p of full.params) expect(lazy.param(p.name)).toEqual(p);
    expect(full.params.map((p) => p.name)).toEqual(['branch', 'rport', 'received', 'flow', 'a']);
  });

  it('branch byte range, prefix test and string agree', () => {
    const text = 'SIP/2.0/UDP h;branch=z9hG4bK-abc';
    const v = parseFirstVia(b(text), 0, text.length, 0)!;
    expect(v.buf.toString('latin1', v.branchStart, v.branchEnd)).toBe(v.branch);
    expect([v.branchStartsWith('z9hG4bK'), v.branchStartsWith('z9hG4bK-abc'), v.branchStartsWith('z9hG4bK-abcd'), v.branchStartsWith('Z9')]).toEqual([true, true, false, false]);
    const none = parseFirstVia(b('SIP/2.0/UDP h;branch'), 0, 20, 0)!;
    expect([none.branch, none.branchStart, none.branchStartsWith('')]).toEqual([undefined, -1, false]);
    // The first branch with a value counts, as before.
    const two = parseFirstVia(b('SIP/2.0/UDP h;branch;branch=b2;branch=b3'), 0, 40, 0)!;
    expect(two.branch).toBe('b2');
  });

  it('still refuses a malformed parameter or a bad first rport', () => {
    for (const s of ['SIP/2.0/UDP h;', 'SIP/2.0/UDP h;a=', 'SIP/2.0/UDP h;a="x', 'SIP/2.0/UDP h;rport=99999', 'SIP/2.0/UDP h;rport=x']) {
      expect(parseFirstVia(b(s), 0, s.length, 0), s).toBeUndefined();
    }
    expect(parseFirstVia(b('SIP/2.0/UDP h;rport=1;rport=x'), 0, 29, 0)?.rport).toBe(1);
  });
});
