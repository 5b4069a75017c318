import { describe, it, expect } from 'vitest';
import { buildResponse, parseSip } from '../../../src/sip/index.js';
import type { SipRequest } from '../../../src/sip/index.js';
import { isSiplbError } from '../../../src/errors.js';

function req(lines: { via?: string[]; to?: string; from?: string; callId?: string; cseq?: string; extra?: string[] } = {}): SipRequest {
  const text = [
    'OPTIONS sip:bob@example.com SIP/2.0',
    ...(lines.via ?? ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-b1']).map((v) => `Via: ${v}`),
    `From: ${lines.from ?? '<sip:alice@example.com>;tag=f1'}`,
    `To: ${lines.to ?? '<sip:bob@example.com>'}`,
    `Call-ID: ${lines.callId ?? 'br-1@example.com'}`,
    `CSeq: ${lines.cseq ?? '7 OPTIONS'}`,
    ...(lines.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseSip(Buffer.from(text, 'latin1'));
  if (!r.ok || r.msg.kind !== 'request') throw new Error('fixture');
  return r.msg;
}

/** FNV-1a 32-bit over the parts, each followed by '|' (0x7c): the stateless To tag. */
function expectedTag(parts: string[]): string {
  let h = 0x811c9dc5;
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x7c, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const text = (b: Buffer) => b.toString('latin1');

function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (err) {
    expect(isSiplbError(err)).toBe(true);
    return err as Error & { code?: string };
  }
  throw new Error('did not throw');
}

describe('buildResponse exact bytes', () => {
  it('writes the whole response, line by line, CRLF-separated', () => {
    const out = buildResponse(req(), 503, { toTag: 'T1', extraHeaders: ['Retry-After: 30'] });
    expect(text(out)).toBe(
      [
        'SIP/2.0 503 Service Unavailable',
        'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-b1',
        'From: <sip:alice@example.com>;tag=f1',
        'To: <sip:bob@example.com>;tag=T1',
        'Call-ID: br-1@example.com',
        'CSeq: 7 OPTIONS',
        'Retry-After: 30',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('derives the To tag from Call-ID, From tag, CSeq number and top branch (FNV-1a)', () => {
    const r = req();
    expect(text(buildResponse(r, 400))).toContain(`\r\nTo: <sip:bob@example.com>;tag=${expectedTag(['br-1@example.com', 'f1', '7', 'z9hG4bK-b1'])}\r\n`);
    const noTags = req({ from: '<sip:alice@example.com>', via: ['SIP/2.0/UDP 10.0.0.1:5060'] });
    expect(text(buildResponse(noTags, 400))).toContain(`;tag=${expectedTag(['br-1@example.com', '', '7', ''])}\r\n`);
  });

  it('pads the tag to 8 hex digits', () => {
    let callId = '';
    for (let i = 0; i < 5000 && callId === ''; i++) {
      const c = `pad-${i}@example.com`;
      if (expectedTag([c, 'f1', '7', 'z9hG4bK-b1']).startsWith('0')) callId = c;
    }
    expect(callId).not.toBe('');
    const tag = expectedTag([callId, 'f1', '7', 'z9hG4bK-b1']);
    expect(tag).toHaveLength(8);
    expect(text(buildResponse(req({ callId }), 480))).toContain(`;tag=${tag}\r\n`);
  });

  it('adds no tag to a 100, nor when To already has one', () => {
    expect(text(buildResponse(req(), 100))).toContain('\r\nTo: <sip:bob@example.com>\r\n');
    expect(text(buildResponse(req({ to: '<sip:bob@example.com>;tag=b9' }), 486))).toContain('\r\nTo: <sip:bob@example.com>;tag=b9\r\n');
    expect(text(buildResponse(req(), 101, { toTag: 'x' }))).toContain('\r\nTo: <sip:bob@example.com>;tag=x\r\n');
  });

  it('accepts 100 and 699, rejects 99, 700 and non-integers with a stable message', () => {
    expect(text(buildResponse(req(), 699, { reason: 'Whatever' })).startsWith('SIP/2.0 699 Whatever\r\n')).toBe(true);
    for (const s of [99, 700, 200.5]) {
      const e = thrown(() => buildResponse(req(), s));
      expect(e.code).toBe('SIPLB_ERR_INTERNAL');
      expect(e.message).toBe(`status ${s} is not a SIP status code (100..699)`);
    }
  });

  it('refuses CR or LF (either alone) in the reason, the tag and extra headers', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => buildResponse(req(), 400, { reason: 'Bad\rRequest' }), 'reason phrase must not contain CR or LF'],
      [() => buildResponse(req(), 400, { reason: 'Bad\nRequest' }), 'reason phrase must not contain CR or LF'],
      [() => buildResponse(req(), 400, { toTag: 'a\nb' }), 'To tag must not contain CR or LF'],
      [() => buildResponse(req(), 400, { extraHeaders: ['X: 1\r'] }), 'extra header must not contain CR or LF'],
    ];
    for (const [f, msg] of cases) {
      const e = thrown(f);
      expect(e.code).toBe('SIPLB_ERR_INTERNAL');
      expect(e.message).toBe(msg);
    }
  });
});

describe('buildResponse top Via with the source (RFC 3581)', () => {
  const src = { address: '192.0.2.7', port: 40001 };

  it('fills a bare rport and appends received', () => {
    const r = req({ via: ['SIP/2.0/UDP h.example.com:5060;rport;branch=z9hG4bK-1'] });
    expect(text(buildResponse(r, 400, { source: src }))).toContain('\r\nVia: SIP/2.0/UDP h.example.com:5060;rport=40001;branch=z9hG4bK-1;received=192.0.2.7\r\n');
  });

  it('leaves an rport that has a value, and other flag parameters, alone', () => {
    const r = req({ via: ['SIP/2.0/UDP h.example.com;rport=1234;keep;branch=z9hG4bK-2'] });
    expect(text(buildResponse(r, 400, { source: src }))).toContain('\r\nVia: SIP/2.0/UDP h.example.com;rport=1234;keep;branch=z9hG4bK-2;received=192.0.2.7\r\n');
  });

  it('replaces an existing received instead of adding a second one', () => {
    const r = req({ via: ['SIP/2.0/UDP h.example.com;received=10.9.9.9;branch=z9hG4bK-3;rport'] });
    expect(text(buildResponse(r, 400, { source: src }))).toContain('\r\nVia: SIP/2.0/UDP h.example.com;received=192.0.2.7;branch=z9hG4bK-3;rport=40001\r\n');
    const r2 = req({ via: ['SIP/2.0/UDP h.example.com;rport;received=10.9.9.9;branch=z9hG4bK-3'] });
    expect(text(buildResponse(r2, 400, { source: src }))).toContain('\r\nVia: SIP/2.0/UDP h.example.com;rport=40001;received=192.0.2.7;branch=z9hG4bK-3\r\n');
  });

  it('edits only the top value: the rest of its line and other Via lines are copied', () => {
    const r = req({ via: ['SIP/2.0/UDP a.example.com;branch=z9hG4bK-a;rport , SIP/2.0/UDP b.example.com;branch=z9hG4bK-b;rport', 'SIP/2.0/TCP c.example.com;branch=z9hG4bK-c'] });
    const out = text(buildResponse(r, 400, { source: src }));
    expect(out).toContain(
      '\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK-a;rport=40001;received=192.0.2.7 , SIP/2.0/UDP b.example.com;branch=z9hG4bK-b;rport\r\nVia: SIP/2.0/TCP c.example.com;branch=z9hG4bK-c\r\n',
    );
  });

  it('without a source copies every Via verbatim', () => {
    const r = req({ via: ['SIP/2.0/UDP a.example.com;rport;branch=z9hG4bK-a', 'SIP/2.0/UDP b.example.com;branch=z9hG4bK-b'] });
    expect(text(buildResponse(r, 400))).toContain('\r\nVia: SIP/2.0/UDP a.example.com;rport;branch=z9hG4bK-a\r\nVia: SIP/2.0/UDP b.example.com;branch=z9hG4bK-b\r\n');
  });
});
