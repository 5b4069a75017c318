/**
 * Active-call counting: every scenario ends at exactly 0 — a 2xx retransmitted after the BYE, a
 * BYE refused with 404, a BYE never answered, BYEs from either side.
 */
import { describe, expect, it } from 'vitest';
import { CallLoad } from '../../../src/balance/call-load.js';
import type { Backend } from '../../../src/backends/registry.js';
import { DialogTracker } from '../../../src/calls/dialog-tracker.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';

const gw1: Backend = { id: 'gw1', host: '127.0.0.1', port: 5071, transport: 'udp', acceptsTcp: false, weight: 1, key: '127.0.0.1:5071' };

function parse(text: string): SipRequest & SipResponse {
  const r = parseSip(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg as SipRequest & SipResponse;
}
const head = (cid: string, method: string, seq: number) =>
  `Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK${cid}${seq}\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@y>;tag=2\nCall-ID: ${cid}\nCSeq: ${seq} ${method}\nContent-Length: 0\n\n`;
const ok = (cid: string, status = 200, method = 'INVITE', seq = 1) => parse(`SIP/2.0 ${status} X\n${head(cid, method, seq)}`);
const bye = (cid: string) => parse(`BYE sip:b@y SIP/2.0\n${head(cid, 'BYE', 2)}`);

function rig() {
  let t = 0;
  const d = new DialogTracker(new CallLoad({ maxCallDurationMs: 3 * 3600_000 }), () => t);
  return { d, advance: (ms: number) => (t += ms) };
}

describe('DialogTracker', () => {
  it('does not count a call again for a 2xx retransmitted after its BYE', () => {
    const { d, advance } = rig();
    d.response(gw1, ok('c1'));
    d.response(gw1, ok('c1')); // retransmission before the ACK
    expect(d.active('gw1')).toBe(1);
    d.request(bye('c1'));
    d.response(undefined, ok('c1', 200, 'BYE', 2));
    expect(d.active('gw1')).toBe(0);
    advance(4000);
    d.response(gw1, ok('c1')); // the callee never got the ACK and retransmits its 2xx
    expect(d.active('gw1')).toBe(0);
    // Past the transaction lifetime the Call-ID is forgotten.
    advance(40_000);
    d.expire();
    expect(d.total).toBe(0);
  });

  it('keeps counting a call whose BYE was refused with 404, until a BYE succeeds', () => {
    const { d } = rig();
    d.response(gw1, ok('c2'));
    d.request(bye('c2'));
    expect(d.active('gw1')).toBe(1); // in flight: still a call
    d.response(gw1, ok('c2', 404, 'BYE', 2));
    expect(d.active('gw1')).toBe(1);
    expect(d.pendingByes).toBe(0);
    // The callee hangs up itself; the caller answers 200.
    d.request(bye('c2'));
    d.response(undefined, ok('c2', 200, 'BYE', 2));
    expect(d.active('gw1')).toBe(0);
  });

  it('ends a call on a BYE answered 481 or 408 (§12.2.1.2), or never answered within 64·T1 (§15.1.1)', () => {
    const { d, advance } = rig();
    for (const c of ['a', 'b', 'c']) d.response(gw1, ok(c));
    d.request(bye('a'));
    d.response(gw1, ok('a', 481, 'BYE', 2));
    d.request(bye('b'));
    d.response(gw1, ok('b', 408, 'BYE', 2));
    d.request(bye('c'));
    expect(d.active('gw1')).toBe(1);
    advance(31_000);
    d.expire();
    expect(d.active('gw1')).toBe(1);
    advance(2_000);
    d.expire();
    expect(d.active('gw1')).toBe(0);
    expect(d.total).toBe(0);
  });

  it('ignores a BYE of a call it never counted, and 1xx/non-2xx INVITE responses', () => {
    const { d } = rig();
    d.request(bye('z'));
    expect(d.pendingByes).toBe(0);
    d.response(gw1, ok('y', 180));
    d.response(gw1, ok('y', 486));
    expect(d.total).toBe(0);
  });
});
