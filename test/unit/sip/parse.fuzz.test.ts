/**
 * Property tests: parseSip is total. Whatever the bytes (random, or a valid message damaged in
 * the ways a network or an attacker damages it), it returns ok or error without throwing, and on
 * ok every accessor is total too. Runs are bounded so the file stays within a few seconds.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { applyEdits, buildResponse, parseSip, removeListValue } from '../../../src/sip/index.js';
import type { ParseResult, SipMessage } from '../../../src/sip/index.js';
import { loadFixtures } from './load-fixtures.js';

const corpus = [...loadFixtures('valid'), ...loadFixtures('invalid')].map((f) => f.bytes).filter((b) => b.length > 0);

/** Calls every accessor of a parsed message (twice: the second call hits the cache). */
function touchAll(msg: SipMessage): void {
  for (let i = 0; i < 2; i++) {
    msg.callId();
    msg.cseq();
    msg.topVia();
    msg.vias();
    msg.maxForwards();
    msg.routes();
    msg.recordRoutes();
    msg.from();
    msg.to();
    msg.retryAfter();
    for (const h of msg.headers) {
      msg.valueOf(h);
      msg.first(h.id);
    }
    if (msg.kind === 'request') {
      void msg.uriText;
      msg.requestUri();
    } else {
      void msg.reason;
    }
  }
}

function check(r: ParseResult): void {
  if (r.ok) {
    touchAll(r.msg);
    expect(r.msg.bodyStart + r.msg.bodyLength).toBeLessThanOrEqual(r.msg.buf.length);
    // Popping the top Via and answering statelessly are total on anything that parsed.
    applyEdits(r.msg.buf, [removeListValue(r.msg, r.msg.topVia())]);
    if (r.msg.kind === 'request') buildResponse(r.msg, 400);
  } else {
    expect(typeof r.error.reason).toBe('string');
    expect(r.error.canReply).toBe(r.error.partial !== undefined);
    if (r.error.partial) {
      touchAll(r.error.partial);
      // The answer always carries the request's Vias; it is complete unless what the request
      // lacked (a readable Call-ID or CSeq) is exactly what it would have to copy.
      const back = parseSip(buildResponse(r.error.partial, 400));
      if (!back.ok) expect(['missing-header', 'bad-call-id', 'bad-cseq']).toContain(back.error.reason);
    }
  }
}

/** One damage to a message: flip, cut, or insert one of the bytes that matter to the grammar. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\r', '\n', '\r\n', ':', ',', '<', '>', ';', '"', ' ', '\t', '\r\n ', '[', ']', '=', '/', '\\', '@', '0', '\x00') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Buffer, muts: readonly Mutation[]): Buffer {
  let b = buf;
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'flip') {
      if (at < b.length) b = applyEdits(b, [{ start: at, end: at + 1, insert: Buffer.from([m.byte]) }]);
    } else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = applyEdits(b, [{ start: at, end: at, insert: m.text }]);
    else b = applyEdits(b, [{ start: at, end: Math.min(b.length, at + m.len), insert: '' }]);
  }
  return b;
}

describe('parseSip never throws', () => {
  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => check(parseSip(Buffer.from(bytes)))),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary text built from SIP-ish pieces', () => {
    const piece = fc.constantFrom('INVITE ', 'SIP/2.0', ' 200 OK', 'sip:a@b', '\r\n', '\n', ' ', 'Via: ', 'v:', 'SIP/2.0/UDP h', ';branch=z', ';rport', ',', 'Call-ID: x', 'i:y', 'CSeq: 1 INVITE', 'l: 3', 'Content-Length: 0', 'f: <sip:a@b>;tag=1', 't: sip:c@d', 'Route: <sip:r;lr>', '"q,"', '[::1]', ':5060', 'Max-Forwards: 7', 'Retry-After: 5 (x)', '\r\n\r\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => check(parseSip(Buffer.from(parts.join(''), 'latin1')))),
      { numRuns: 2000 },
    );
  });

  it('on mutated fixtures', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, muts) => check(parseSip(mutate(base, muts)))),
      { numRuns: 2000 },
    );
  });

  it('on every prefix of every valid fixture', () => {
    for (const f of loadFixtures('valid')) {
      for (let n = 0; n <= f.bytes.length; n++) check(parseSip(f.bytes.subarray(0, n)));
    }
  });
});
