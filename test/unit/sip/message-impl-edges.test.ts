import { describe, it, expect } from 'vitest';
import { HeaderId, parseSip } from '../../../src/sip/index.js';
import type { SipMessage, SipRequest } from '../../../src/sip/index.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

function parseOk(buf: Buffer): SipMessage {
  const r = parseSip(buf);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.reason}: ${r.error.detail}`);
  return r.msg;
}

function invite(extra: string[] = [], via: string[] = ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-m1']): SipMessage {
  return parseOk(
    crlf([
      'INVITE sip:bob@example.com SIP/2.0',
      ...via.map((v) => `Via: ${v}`),
      'From: <sip:alice@example.com>;tag=f1',
      'To: <sip:bob@example.com>',
      'Call-ID: mi-1@example.com',
      'CSeq: 3 INVITE',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ]),
  );
}

function partial(lines: string[]): SipRequest {
  const r = parseSip(crlf(['INVITE sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-p1', ...lines, 'Content-Length: 0', '', '']));
  if (r.ok || r.error.partial === undefined) throw new Error('expected a replyable parse error');
  return r.error.partial;
}

describe('first()', () => {
  it('finds a header on the very first line (index 0)', () => {
    const m = invite();
    expect(m.first(HeaderId.VIA)).toBe(m.headers[0]);
    expect(m.first(HeaderId.FROM)).toBe(m.headers[1]);
    expect(m.first(HeaderId.ROUTE)).toBeUndefined();
    expect(m.first(HeaderId.OTHER)).toBeUndefined();
  });
});

describe('valueOf folding (RFC 3261 §7.3.1)', () => {
  it('returns an unfolded value byte for byte', () => {
    const m = invite(['Subject: a \t b']);
    const f = m.headers.find((h) => h.id === HeaderId.OTHER)!;
    expect(m.valueOf(f)).toBe('a \t b');
  });

  it('collapses CRLF plus whitespace, and whitespace before it, to one SP', () => {
    const m = invite(['Subject: one \t', ' \t two', '\tthree  ', '   four']);
    const f = m.headers.find((h) => h.id === HeaderId.OTHER)!;
    expect(m.valueOf(f)).toBe('one two three four');
  });

  it('keeps a non-blank byte right before the fold', () => {
    const m = invite(['Subject: x', ' y']);
    const f = m.headers.find((h) => h.id === HeaderId.OTHER)!;
    expect(m.valueOf(f)).toBe('x y');
  });
});

describe('cached accessors return the same object every time', () => {
  it('vias, routes, recordRoutes, from, to, requestUri', () => {
    const m = invite(['Route: <sip:r1.example.com;lr>', 'Record-Route: <sip:rr.example.com;lr>']);
    expect(m.vias()).toBe(m.vias());
    expect(m.routes()).toBe(m.routes());
    expect(m.recordRoutes()).toBe(m.recordRoutes());
    expect(m.from()).toBe(m.from());
    expect(m.to()).toBe(m.to());
    if (m.kind !== 'request') throw new Error('fixture');
    expect(m.requestUri()).toBe(m.requestUri());
    expect(m.requestUri()?.host).toBe('example.com');
    expect(m.uriText).toBe('sip:bob@example.com');
  });

  it('an absent list is one shared frozen empty array', () => {
    const a = invite();
    const b = invite();
    expect(a.routes()).toEqual([]);
    expect(a.routes()).toBe(b.routes());
    expect(a.recordRoutes()).toBe(b.routes());
    expect(Object.isFrozen(a.routes())).toBe(true);
  });

  it('maxForwards and retryAfter: absent is undefined, present is decoded once', () => {
    const m = invite();
    expect(m.maxForwards()).toBeUndefined();
    expect(m.retryAfter()).toBeUndefined();
    const n = invite(['Max-Forwards: 12', 'Retry-After: 30']);
    expect(n.maxForwards()).toBe(12);
    expect(n.maxForwards()).toBe(12);
    expect(n.retryAfter()).toBe(30);
    expect(n.retryAfter()).toBe(30);
  });
});

describe('name-addr lists', () => {
  it('collects Route values across lines in order, with their line index and span', () => {
    const m = invite(['Route: <sip:a.example.com;lr>, <sip:b.example.com;lr>', 'X-Other: 1', 'Route: <sip:c.example.com;lr>']);
    const r = m.routes()!;
    expect(r.map((x) => x.uri?.host)).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
    const line = m.headers.findIndex((h) => h.id === HeaderId.ROUTE);
    expect(r.map((x) => x.fieldIndex)).toEqual([line, line, line + 2]);
    const f = m.headers[line]!;
    expect(r[0]!.span).toEqual({ start: f.valueStart, end: f.valueStart + 22 });
  });

  it('one malformed Route makes the whole list undefined', () => {
    const m = invite(['Route: <sip:a.example.com;lr>', 'Route: <sip:b.example.com']);
    expect(m.routes()).toBeUndefined();
    expect(m.recordRoutes()).toEqual([]);
  });
});

describe('vias()', () => {
  it('a single top Via is a list of one', () => {
    const m = invite();
    expect(m.vias()).toHaveLength(1);
    expect(m.vias()![0]).toBe(m.topVia());
  });

  it('continues after the top value on its line, then the lines below, skipping other headers', () => {
    const m = invite(['X-Between: 1', 'Via: SIP/2.0/TCP d.example.com;branch=z9hG4bK-d'], ['SIP/2.0/UDP a.example.com;branch=z9hG4bK-a , SIP/2.0/UDP b.example.com;branch=z9hG4bK-b', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK-c']);
    expect(m.vias()?.map((v) => v.host)).toEqual(['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com']);
    expect(m.vias()?.map((v) => v.fieldIndex)).toEqual([0, 0, 1, 7]);
  });

  it('is undefined when a later Via is malformed, or when junk follows the top value', () => {
    expect(invite([], ['SIP/2.0/UDP a.example.com;branch=z9hG4bK-a', 'garbage']).vias()).toBeUndefined();
    expect(invite([], ['SIP/2.0/UDP a.example.com;branch=z9hG4bK-a , garbage']).vias()).toBeUndefined();
  });
});

describe('the partial request of a replyable parse error', () => {
  it('without Call-ID: callId() is empty', () => {
    const p = partial(['From: <sip:alice@example.com>;tag=f1', 'To: <sip:bob@example.com>', 'CSeq: 1 INVITE']);
    expect(p.callId()).toBe('');
    expect(p.cseq()).toEqual({ seq: 1, method: 'INVITE' });
  });

  it('without CSeq: cseq() is 0 and an empty method', () => {
    const p = partial(['From: <sip:alice@example.com>;tag=f1', 'To: <sip:bob@example.com>', 'Call-ID: p-1@example.com']);
    expect(p.cseq()).toEqual({ seq: 0, method: '' });
    expect(p.callId()).toBe('p-1@example.com');
  });

  it('without From or To: an empty opaque name-addr on no line', () => {
    const p = partial(['Call-ID: p-2@example.com', 'CSeq: 1 INVITE']);
    const want = { fieldIndex: -1, span: { start: 0, end: 0 }, displayName: undefined, uriText: '', uri: undefined, params: new Map(), malformed: true };
    expect(p.from()).toEqual(want);
    expect(p.to()).toEqual(want);
    expect(p.vias()?.map((v) => v.branch)).toEqual(['z9hG4bK-p1']);
  });
});

describe('opaque From/To', () => {
  it('a From that is no name-addr keeps its raw text, line and span', () => {
    const m = parseSip(
      crlf(['OPTIONS sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-o', 'From: "unterminated <sip:a@example.com>', 'To: <sip:bob@example.com>', 'Call-ID: o-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '']),
    );
    if (!m.ok) throw new Error('expected ok');
    const f = m.msg.first(HeaderId.FROM)!;
    expect(m.msg.from()).toEqual({ fieldIndex: 1, span: { start: f.valueStart, end: f.valueEnd }, displayName: undefined, uriText: '"unterminated <sip:a@example.com>', uri: undefined, params: new Map(), malformed: true });
  });
});
