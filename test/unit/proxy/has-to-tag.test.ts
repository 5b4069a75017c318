/**
 * hasToTag decides Record-Route and in-dialog routing (RFC 3261 §12.1, §16.6 step 4). It reads the
 * raw To bytes first and decodes the name-addr only when a ';' is present: the answer must equal
 * the full decode for every shape of To.
 */
import { describe, it, expect } from 'vitest';
import { parseSip, type SipRequest } from '../../../src/sip/index.js';
import { hasToTag } from '../../../src/proxy/route-decision.js';

function request(to: string): SipRequest {
  const text =
    'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n' +
    `From: <sip:alice@example.com>;tag=a1\r\nTo: ${to}\r\nCall-ID: c1@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
  const r = parseSip(Buffer.from(text, 'latin1'));
  if (!r.ok || r.msg.kind !== 'request') throw new Error(`fixture did not parse: ${to}`);
  return r.msg;
}

describe('hasToTag', () => {
  it.each([
    ['<sip:bob@example.com>', false],
    ['sip:bob@example.com', false],
    ['"Bob; the builder" <sip:bob@example.com>', false],
    ['<sip:bob@example.com;user=phone>', false],
    ['<sip:bob@example.com;tag=inside-the-uri>', false],
    ['<sip:bob@example.com>;tag=b2', true],
    ['<sip:bob@example.com> ;TAG=b2', true],
    ['sip:bob@example.com;tag=b2', true],
    ['"Bob" <sip:bob@example.com;user=phone>;x=1;tag=b2', true],
  ])('To: %s -> %s, as the full decode says', (to, want) => {
    const req = request(to);
    expect(hasToTag(req)).toBe(want);
    expect(req.to().params.has('tag')).toBe(want);
  });
});

describe('hasToTag without any ; before the To value', () => {
  it('a request whose Via has no parameters and whose To has no tag: false', () => {
    const text =
      'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\n' +
      'To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>\r\nCall-ID: c2@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    const r = parseSip(Buffer.from(text, 'latin1'));
    if (!r.ok || r.msg.kind !== 'request') throw new Error('fixture did not parse');
    expect(hasToTag(r.msg)).toBe(false);
  });
});
