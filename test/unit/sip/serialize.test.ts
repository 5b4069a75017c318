import { describe, it, expect } from 'vitest';
import { HeaderId, applyEdits, buildResponse, insertAt, parseSip, removeLine, removeListValue, replaceSpan } from '../../../src/sip/index.js';
import type { SipMessage, SipRequest } from '../../../src/sip/index.js';
import { isSiplbError } from '../../../src/errors.js';
import { loadFixtures } from './load-fixtures.js';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

function parseOk(bytes: Buffer): SipMessage {
  const r = parseSip(bytes);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.reason}: ${r.error.detail}`);
  return r.msg;
}

function request(bytes: Buffer): SipRequest {
  const m = parseOk(bytes);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

const INVITE = crlf(`INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP p1.example.net;branch=z9hG4bK-1, SIP/2.0/UDP p2.example.net;branch=z9hG4bK-2 , SIP/2.0/UDP p3.example.net;branch=z9hG4bK-3
Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK-4;rport
Route: <sip:r1.example.net;lr>
Max-Forwards: 70
From: Alice <sip:alice@atlanta.example.com>;tag=a1
To: Bob <sip:bob@biloxi.example.com>
Call-ID: edit-1@atlanta.example.com
CSeq: 1 INVITE
Content-Length: 4

body`);

describe('applyEdits', () => {
  it('returns identical bytes with no edits, for every valid fixture', () => {
    for (const f of loadFixtures('valid')) expect(applyEdits(f.bytes, []).equals(f.bytes)).toBe(true);
  });

  it('replaces, inserts and removes in one pass, leaving other bytes untouched', () => {
    const msg = parseOk(INVITE);
    const mf = msg.first(HeaderId.MAX_FORWARDS);
    const route = msg.first(HeaderId.ROUTE);
    if (!mf || !route) throw new Error('fixture');
    const out = applyEdits(INVITE, [
      removeLine(route),
      replaceSpan({ start: mf.valueStart, end: mf.valueEnd }, '69'),
      insertAt(msg.headersStart, 'Via: SIP/2.0/UDP lb.example.net;branch=z9hG4bK-lb\r\n'),
    ]);
    const text = out.toString('latin1');
    expect(text).toBe(
      INVITE.toString('latin1')
        .replace('Route: <sip:r1.example.net;lr>\r\n', '')
        .replace('Max-Forwards: 70', 'Max-Forwards: 69')
        .replace('SIP/2.0\r\n', 'SIP/2.0\r\nVia: SIP/2.0/UDP lb.example.net;branch=z9hG4bK-lb\r\n'),
    );
    const again = parseOk(out);
    expect(again.topVia().host).toBe('lb.example.net');
    expect(again.maxForwards()).toBe(69);
    expect(again.routes()).toEqual([]);
    expect(again.vias()?.length).toBe(5);
  });

  it('sorts edits and keeps several inserts at one offset in their given order', () => {
    const buf = Buffer.from('0123456789');
    const out = applyEdits(buf, [
      { start: 8, end: 9, insert: 'X' },
      { start: 2, end: 2, insert: 'a' },
      { start: 2, end: 4, insert: Buffer.from('R') },
      { start: 2, end: 2, insert: 'b' },
      { start: 10, end: 10, insert: '!' },
    ]);
    expect(out.toString()).toBe('01abR4567X9!');
  });

  it('writes string inserts as latin1, one byte per char', () => {
    const out = applyEdits(Buffer.from('ab'), [{ start: 1, end: 1, insert: '\u00e9\u00ff' }]);
    expect([...out]).toEqual([0x61, 0xe9, 0xff, 0x62]);
  });

  it('rejects overlapping and out-of-range edits as programming errors', () => {
    const buf = Buffer.from('0123456789');
    const overlap = () => applyEdits(buf, [{ start: 1, end: 5, insert: '' }, { start: 4, end: 6, insert: '' }]);
    expect(overlap).toThrow(/overlapping/);
    try {
      overlap();
    } catch (err) {
      expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_INTERNAL');
    }
    expect(() => applyEdits(buf, [{ start: 5, end: 11, insert: '' }])).toThrow();
    expect(() => applyEdits(buf, [{ start: 5, end: 4, insert: '' }])).toThrow();
  });
});

describe('removeListValue', () => {
  const msg = parseOk(INVITE);
  const vias = msg.vias() ?? [];
  const remove = (i: number) => {
    const v = vias[i];
    if (!v) throw new Error('fixture');
    return parseOk(applyEdits(INVITE, [removeListValue(msg, v)]));
  };
  const viaLines = (m: SipMessage) => m.headers.filter((h) => h.id === HeaderId.VIA).map((h) => m.valueOf(h));

  it('removes the first of several values with the comma and space after it', () => {
    const m = remove(0);
    expect(viaLines(m)[0]).toBe('SIP/2.0/UDP p2.example.net;branch=z9hG4bK-2 , SIP/2.0/UDP p3.example.net;branch=z9hG4bK-3');
    expect(m.topVia().branch).toBe('z9hG4bK-2');
  });

  it('removes a middle value with the comma before it', () => {
    const m = remove(1);
    expect(viaLines(m)[0]).toBe('SIP/2.0/UDP p1.example.net;branch=z9hG4bK-1 , SIP/2.0/UDP p3.example.net;branch=z9hG4bK-3');
  });

  it('removes the last value of a line with the comma and whitespace before it', () => {
    const m = remove(2);
    expect(viaLines(m)[0]).toBe('SIP/2.0/UDP p1.example.net;branch=z9hG4bK-1, SIP/2.0/UDP p2.example.net;branch=z9hG4bK-2');
  });

  it('removes the whole line when the value is alone on it', () => {
    const m = remove(3);
    expect(viaLines(m)).toHaveLength(1);
    expect(m.vias()?.map((v) => v.branch)).toEqual(['z9hG4bK-1', 'z9hG4bK-2', 'z9hG4bK-3']);
    expect(m.buf.toString('latin1')).not.toContain('client.example.com');
  });

  it('removes a Route value (name-addr list)', () => {
    const r = msg.routes()?.[0];
    if (!r) throw new Error('fixture');
    const m = parseOk(applyEdits(INVITE, [removeListValue(msg, r)]));
    expect(m.first(HeaderId.ROUTE)).toBeUndefined();
  });

  it('rejects a span that is not on the given line', () => {
    expect(() => removeListValue(msg, { fieldIndex: 0, span: { start: 0, end: 3 } })).toThrow();
  });
});

describe('buildResponse', () => {
  const req = request(INVITE);

  it('copies Vias, From, Call-ID, CSeq and adds a To tag (§8.2.6.2)', () => {
    const raw = buildResponse(req, 503, { extraHeaders: ['Retry-After: 30'] });
    const res = parseOk(raw);
    expect(res.kind === 'response' && [res.status, res.reason]).toEqual([503, 'Service Unavailable']);
    expect(res.vias()?.map((v) => v.branch)).toEqual(req.vias()?.map((v) => v.branch));
    expect(res.callId()).toBe(req.callId());
    expect(res.cseq()).toEqual(req.cseq());
    expect(res.from().params.get('tag')).toBe('a1');
    expect(res.from().uriText).toBe(req.from().uriText);
    expect(res.to().uriText).toBe(req.to().uriText);
    expect(res.to().params.get('tag')).toMatch(/^[0-9a-f]{8}$/);
    expect(res.retryAfter()).toBe(30);
    expect(res.bodyLength).toBe(0);
    expect(raw.toString('latin1').endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    // Stateless: the same request gets the same tag (§8.2.7).
    expect(buildResponse(req, 503).toString()).toBe(buildResponse(req, 503).toString());
  });

  it('uses the given reason and To tag, and adds no tag to 100 Trying', () => {
    const res = parseOk(buildResponse(req, 483, { reason: 'Hops Exhausted', toTag: 'lb-1' }));
    expect(res.kind === 'response' && res.reason).toBe('Hops Exhausted');
    expect(res.to().params.get('tag')).toBe('lb-1');
    expect(parseOk(buildResponse(req, 100)).to().params.has('tag')).toBe(false);
  });

  it('keeps an existing To tag', () => {
    const inDialog = request(Buffer.from(INVITE.toString('latin1').replace('To: Bob <sip:bob@biloxi.example.com>', 'To: Bob <sip:bob@biloxi.example.com>;tag=b9'), 'latin1'));
    expect(parseOk(buildResponse(inDialog, 400, { toTag: 'x' })).to().params.get('tag')).toBe('b9');
  });

  it('fills received and rport into the top Via when given the source (RFC 3581)', () => {
    const bare = request(Buffer.from(INVITE.toString('latin1').replace('Via: SIP/2.0/UDP p1.example.net;branch=z9hG4bK-1', 'Via: SIP/2.0/UDP p1.example.net;rport;branch=z9hG4bK-1'), 'latin1'));
    const res = parseOk(buildResponse(bare, 400, { source: { address: '198.51.100.1', port: 40123 } }));
    expect(res.topVia()).toMatchObject({ host: 'p1.example.net', received: '198.51.100.1', rport: 40123, branch: 'z9hG4bK-1' });
    expect(res.vias()?.[1]?.received).toBeUndefined();
  });

  it('rejects impossible statuses and header injection', () => {
    expect(() => buildResponse(req, 99)).toThrow();
    expect(() => buildResponse(req, 700)).toThrow();
    expect(() => buildResponse(req, 400, { reason: 'a\r\nVia: x' })).toThrow();
    expect(() => buildResponse(req, 400, { extraHeaders: ['X: 1\r\nY: 2'] })).toThrow();
  });

  it('answers a folded, compact-form request with normal header names', () => {
    const folded = request(crlf(`OPTIONS sip:lb.example.net SIP/2.0
v: SIP/2.0/UDP 192.0.2.1
 ;branch=z9hG4bK-f
f: <sip:a@example.com>;tag=1
t: <sip:lb.example.net>
i: folded@example.com
CSeq: 1 OPTIONS
l: 0

`));
    const text = buildResponse(folded, 200).toString('latin1');
    expect(text).toContain('\r\nVia: SIP/2.0/UDP 192.0.2.1 ;branch=z9hG4bK-f\r\n');
    expect(text).toContain('\r\nCall-ID: folded@example.com\r\n');
    expect(parseOk(Buffer.from(text, 'latin1')).topVia().branch).toBe('z9hG4bK-f');
  });
});
