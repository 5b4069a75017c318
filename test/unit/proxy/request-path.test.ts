/**
 * The request path of the stateless proxy (RFC 3261 §16.3–§16.6, §16.11), driven in-process: a
 * datagram in, the datagrams siplb sent out (bytes and destination) checked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, asResponse, headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, remote, requestText } from '../../helpers/core/sip-text.js';

const OUR_VIA = /^SIP\/2\.0\/UDP 198\.51\.100\.1:5060;branch=z9hG4bKsl[0-9a-f]{16}$/;

let rejects: ChannelRecorder<{ reason: string; status: number; method: string }> | undefined;
afterEach(() => rejects?.stop());

function watchRejects(): { reason: string; status: number; method: string }[] {
  rejects = recordChannel('reject');
  return rejects.messages;
}

describe('forwarding a new call', () => {
  it('sends the INVITE to the picked backend with our Via on top, Record-Route, Max-Forwards decremented, body untouched', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ body: 'v=0\r\n', headers: ['Content-Type: application/sdp', 'X-Keep: as-is'] }), CALLER);
    const d = rig.sender.takeOne();
    expect([d.host, d.port]).toEqual(['198.51.100.11', 5060]);
    const req = asRequest(d);
    expect(req.method).toBe('INVITE');
    expect(req.uriText).toBe('sip:bob@lb.test');
    const vias = headerValues(d.text, 'Via');
    expect(vias).toHaveLength(2);
    expect(vias[0]).toMatch(OUR_VIA);
    expect(vias[1]).toBe('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1');
    expect(headerValues(d.text, 'Record-Route')).toEqual([`<sip:${LB.host}:${LB.port};lr>`]);
    expect(headerValues(d.text, 'Max-Forwards')).toEqual(['69']);
    expect(headerValues(d.text, 'X-Keep')).toEqual(['as-is']);
    expect(d.text.endsWith('\r\n\r\nv=0\r\n')).toBe(true);
    expect(rig.events).toEqual([{ kind: 'forwarded', method: 'INVITE', backend: 'gw1', isNewCall: true }]);
  });

  it('adds Max-Forwards with the configured default when the request has none (§16.6 step 3)', () => {
    const rig = proxyRig({ options: { defaultMaxForwards: 42 } });
    rig.deliver(requestText({ maxForwards: null }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Max-Forwards')).toEqual(['42']);
  });

  it('forwards Max-Forwards 1 as 0', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ maxForwards: 1 }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Max-Forwards')).toEqual(['0']);
  });

  it('adds no Record-Route when recordRoute is off, nor on a request that creates no dialog, nor inside a dialog', () => {
    const off = proxyRig({ options: { recordRoute: false } });
    off.deliver(requestText(), CALLER);
    expect(headerValues(off.sender.takeOne().text, 'Record-Route')).toEqual([]);

    const rig = proxyRig();
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'm1' }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Record-Route')).toEqual([]);
    rig.deliver(requestText({ method: 'INVITE', callId: 'reinvite', to: '<sip:bob@lb.test>;tag=b1' }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Record-Route')).toEqual([]);
  });

  it.each(['SUBSCRIBE', 'REFER'])('adds Record-Route to an initial %s (it creates a dialog)', (method) => {
    const rig = proxyRig();
    rig.deliver(requestText({ method }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Record-Route')).toHaveLength(1);
  });

  it('marks the previous top Via with received when its sent-by is not the source (§18.2.1)', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ vias: ['SIP/2.0/UDP caller.test:5060;branch=z9hG4bK-x'] }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Via')[1]).toBe('SIP/2.0/UDP caller.test:5060;branch=z9hG4bK-x;received=192.0.2.10');
  });

  it('replaces a stale received parameter only when rport asks for it, fills in a bare rport (RFC 3581 §4)', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ vias: ['SIP/2.0/UDP 10.0.0.5:5060;rport;received=10.9.9.9;branch=z9hG4bK-x'] }), remote('192.0.2.10', 40000));
    expect(headerValues(rig.sender.takeOne().text, 'Via')[1]).toBe('SIP/2.0/UDP 10.0.0.5:5060;rport=40000;received=192.0.2.10;branch=z9hG4bK-x');
    rig.deliver(requestText({ callId: 'c2', vias: ['SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-y;rport'] }), remote('192.0.2.10', 40001));
    expect(headerValues(rig.sender.takeOne().text, 'Via')[1]).toBe('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-y;rport=40001;received=192.0.2.10');
  });

  it('leaves the previous Via alone when its sent-by is the source address, or it already has received', () => {
    const rig = proxyRig();
    rig.deliver(requestText(), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Via')[1]).toBe('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1');
    rig.deliver(requestText({ callId: 'c2', vias: ['SIP/2.0/UDP caller.test;received=192.0.2.99;branch=z9hG4bK-z'] }), CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Via')[1]).toBe('SIP/2.0/UDP caller.test;received=192.0.2.99;branch=z9hG4bK-z');
  });

  it('forwards a retransmission with the same branch, another call with another branch', () => {
    const rig = proxyRig();
    rig.deliver(requestText(), CALLER);
    rig.deliver(requestText(), CALLER);
    rig.deliver(requestText({ callId: 'other' }), CALLER);
    const [a, b, c] = rig.sender.take().map((d) => headerValues(d.text, 'Via')[0]);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('sends every request of a call before its dialog exists to the backend of its INVITE (affinity)', () => {
    const rig = proxyRig({ balancer: 'round-robin' });
    rig.deliver(requestText({ callId: 'call-a' }), CALLER);
    rig.deliver(requestText({ callId: 'call-b' }), CALLER);
    const [a, b] = rig.sender.take();
    expect(a!.host).not.toBe(b!.host);
    rig.deliver(requestText({ callId: 'call-a', method: 'CANCEL' }), CALLER);
    rig.deliver(requestText({ callId: 'call-b', method: 'CANCEL' }), CALLER);
    const [ca, cb] = rig.sender.take();
    expect(ca!.host).toBe(a!.host);
    expect(cb!.host).toBe(b!.host);
    expect(rig.events.filter((e) => e.kind === 'forwarded' && e.method === 'CANCEL')).toEqual([
      { kind: 'forwarded', method: 'CANCEL', backend: 'gw1', isNewCall: false },
      { kind: 'forwarded', method: 'CANCEL', backend: 'gw2', isNewCall: false },
    ]);
  });

  it('does not pin a call for an ACK that arrives first: its INVITE may go elsewhere', () => {
    const rig = proxyRig({ balancer: 'round-robin' });
    rig.deliver(requestText({ method: 'ACK', callId: 'late' }), CALLER);
    rig.deliver(requestText({ method: 'INVITE', callId: 'late' }), CALLER);
    const [ack, invite] = rig.sender.take();
    expect(ack!.host).toBe('198.51.100.11');
    expect(invite!.host).toBe('198.51.100.12');
  });
});

describe('call affinity on the request path', () => {
  afterEach(() => void vi.useRealTimers());

  it('pins an INVITE until its final answer (Timer C), another request only for the transaction lifetime', () => {
    vi.useFakeTimers();
    const rig = proxyRig({ balancer: 'round-robin' });
    rig.deliver(requestText({ callId: 'inv' }), CALLER); // → gw1, ringing
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'msg' }), CALLER); // → gw2, settled TTL 32 s
    expect(rig.sender.take().map((d) => d.host)).toEqual(['198.51.100.11', '198.51.100.12']);
    vi.advanceTimersByTime(60_000); // past the transaction lifetime, well within Timer C
    rig.deliver(requestText({ method: 'CANCEL', callId: 'inv' }), CALLER);
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'msg', cseq: 2 }), CALLER);
    const [cancel, msg] = rig.sender.take();
    expect(cancel!.host).toBe('198.51.100.11'); // still the INVITE's backend
    expect(msg!.host).toBe('198.51.100.13'); // forgotten: the balancer picked anew
  });

  it("publishes each forward with how its backend was chosen: 'new', 'affinity', or 'new' again for a failover attempt", () => {
    vi.useFakeTimers();
    const fwd = recordChannel<{ method: string; backend: string; via: string }>('requestForwarded');
    try {
      const rig = proxyRig({ failover: { timeoutMs: 400 } });
      rig.deliver(requestText(), CALLER);
      rig.deliver(requestText(), CALLER);
      vi.advanceTimersByTime(400);
      expect(fwd.messages.map((m) => [m.method, m.backend, m.via])).toEqual([
        ['INVITE', 'gw1', 'new'],
        ['INVITE', 'gw1', 'affinity'],
        ['INVITE', fwd.messages[2]?.backend, 'new'],
      ]);
      expect(fwd.messages[2]?.backend).not.toBe('gw1');
    } finally {
      fwd.stop();
    }
  });

  it('reports only an initial INVITE as a new call to the observers', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'm' }), CALLER);
    rig.deliver(requestText({ callId: 'i' }), CALLER);
    rig.deliver(requestText({ callId: 'i' }), CALLER); // retransmission
    expect(rig.events.map((e) => e.kind === 'forwarded' && [e.method, e.isNewCall])).toEqual([
      ['MESSAGE', false],
      ['INVITE', true],
      ['INVITE', false],
    ]);
  });
});

describe('rejections', () => {
  it('answers 483 Too Many Hops to Max-Forwards 0, and forwards nothing (§16.3 step 3)', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText({ maxForwards: 0 }), CALLER);
    const d = rig.sender.takeOne();
    expect([d.host, d.port]).toEqual([CALLER.address, 5060]);
    expect(asResponse(d).status).toBe(483);
    expect(asResponse(d).callId()).toBe('call-1@caller.test');
    expect(seen).toEqual([{ reason: 'max-forwards', status: 483, method: 'INVITE' }]);
  });

  it('answers 400 to a Max-Forwards that is not a number', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText({ maxForwards: 'many' }), CALLER);
    expect(asResponse(rig.sender.takeOne()).status).toBe(400);
    expect(seen).toEqual([{ reason: 'bad-request', status: 400, method: 'INVITE' }]);
  });

  it('answers 400 when a Via below the top one cannot be parsed', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText({ vias: ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1', 'not a via at all'] }), CALLER);
    expect(asResponse(rig.sender.takeOne()).status).toBe(400);
    expect(seen).toEqual([{ reason: 'bad-request', status: 400, method: 'INVITE' }]);
  });

  it('publishes a malformed but answerable request as a parse-error reject', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), CALLER);
    expect(asResponse(rig.sender.takeOne()).status).toBe(400);
    expect(seen.map((r) => r.reason)).toEqual(['parse-error']);
  });

  it('answers 400 when a Route cannot be parsed', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ headers: ['Route: <sip:'] }), CALLER);
    expect(asResponse(rig.sender.takeOne()).status).toBe(400);
  });

  it('answers 482 Loop Detected to a request that comes back unchanged (§16.3 step 4)', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText(), CALLER);
    const forwarded = rig.sender.takeOne();
    // The backend sends it straight back to us, as a misconfigured route would.
    rig.deliver(forwarded.buf, rig.from('gw1'));
    const d = rig.sender.takeOne();
    expect(asResponse(d).status).toBe(482);
    expect(d.host).toBe('198.51.100.11');
    expect(seen.map((r) => r.reason)).toEqual(['loop']);
  });

  it('forwards a spiral: the request comes back with another Request-URI (§16.3 step 4)', () => {
    const rig = proxyRig();
    rig.deliver(requestText(), CALLER);
    const forwarded = rig.sender.takeOne().text.replace('INVITE sip:bob@lb.test', 'INVITE sip:carol@lb.test');
    rig.deliver(forwarded, remote('192.0.2.77', 5060));
    const d = rig.sender.takeOne();
    expect(asRequest(d).method).toBe('INVITE');
    expect(headerValues(d.text, 'Via')).toHaveLength(3);
    expect(headerValues(d.text, 'Max-Forwards')).toEqual(['68']);
  });

  it('forwards a spiral whose Request-URI is unchanged but whose Route set differs (an in-dialog request passing twice)', () => {
    const rig = proxyRig();
    // First pass: an in-dialog ACK routed us → gw1 (a proxy) → us again, by its Route set.
    rig.deliver(requestText({ method: 'ACK', to: '<sip:bob@lb.test>;tag=b1', headers: ['Route: <sip:198.51.100.1;lr>, <sip:198.51.100.11;lr>, <sip:198.51.100.1;lr>'] }), CALLER);
    const first = rig.sender.takeOne();
    expect(asRequest(first).method).toBe('ACK');
    // The proxy popped its own entry; the same Request-URI comes back with the rest of the Route set.
    expect(first.host).toBe('198.51.100.11');
    const back = first.text.replace('Route: <sip:198.51.100.11;lr>, <sip:198.51.100.1;lr>', 'Route: <sip:198.51.100.1;lr>');
    rig.deliver(back, rig.from('gw1'));
    const d = rig.sender.takeOne();
    expect(asRequest(d).method).toBe('ACK');
  });

  it('answers 503 with Retry-After when no backend can take a new call', () => {
    const seen = watchRejects();
    const rig = proxyRig({ options: { noBackendRetryAfter: 9 } });
    for (const b of rig.registry.all) rig.registry.setEligible(b.id, false);
    rig.deliver(requestText(), CALLER);
    const d = rig.sender.takeOne();
    expect(asResponse(d).status).toBe(503);
    expect(headerValues(d.text, 'Retry-After')).toEqual(['9']);
    expect(seen).toEqual([{ reason: 'no-backend', status: 503, method: 'INVITE' }]);
    expect(rig.events).toEqual([]);
  });

  it('sheds a new INVITE with 503 and the admission Retry-After under overload, yet forwards other requests', () => {
    const seen = watchRejects();
    const rig = proxyRig({ admission: true });
    rig.admission.admit = false;
    rig.deliver(requestText(), CALLER);
    const d = rig.sender.takeOne();
    expect(asResponse(d).status).toBe(503);
    expect(headerValues(d.text, 'Retry-After')).toEqual(['7']);
    expect(seen.map((r) => r.reason)).toEqual(['overload']);
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'msg' }), CALLER);
    expect(asRequest(rig.sender.takeOne()).method).toBe('MESSAGE');
  });

  it('lets a running call through while shedding: its retransmission and CANCEL follow affinity', () => {
    const rig = proxyRig({ admission: true });
    rig.deliver(requestText(), CALLER);
    rig.sender.take();
    rig.admission.admit = false;
    rig.deliver(requestText(), CALLER);
    rig.deliver(requestText({ method: 'CANCEL' }), CALLER);
    expect(rig.sender.take().map((d) => [asRequest(d).method, d.host])).toEqual([
      ['INVITE', '198.51.100.11'],
      ['CANCEL', '198.51.100.11'],
    ]);
  });

  it('never answers an ACK, even one it must reject (§17.1.1.3)', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText({ method: 'ACK', maxForwards: 0 }), CALLER);
    for (const b of rig.registry.all) rig.registry.setEligible(b.id, false);
    rig.deliver(requestText({ method: 'ACK', callId: 'x' }), CALLER);
    expect(rig.sender.sent).toEqual([]);
    expect(seen.map((r) => [r.reason, r.status])).toEqual([
      ['max-forwards', 483],
      ['no-backend', 503],
    ]);
  });

  it('answers 403 to a request from outside for an address that is not a backend (no open relay)', () => {
    const seen = watchRejects();
    const rig = proxyRig();
    rig.deliver(requestText({ headers: [`Route: <sip:${LB.host}:${LB.port};lr>`, 'Route: <sip:evil.test;lr>'] }), CALLER);
    expect(asResponse(rig.sender.takeOne()).status).toBe(403);
    expect(seen.map((r) => r.reason)).toEqual(['relay']);
  });
});

describe('OPTIONS for siplb itself', () => {
  it('answers 200 with Allow, even at Max-Forwards 0, and forwards nothing', () => {
    const replies = recordChannel('localReply');
    try {
      const rig = proxyRig();
      rig.deliver(requestText({ method: 'OPTIONS', uri: `sip:${LB.host}:${LB.port}`, maxForwards: 0 }), CALLER);
      const d = rig.sender.takeOne();
      expect(asResponse(d).status).toBe(200);
      expect(headerValues(d.text, 'Allow')[0]).toContain('INVITE');
      expect(d.host).toBe(CALLER.address);
      expect(replies.messages).toEqual([{ method: 'OPTIONS', status: 200 }]);
    } finally {
      replies.stop();
    }
  });

  it('dispatches OPTIONS to a backend when answerOptions is off, or when it names a user', () => {
    const off = proxyRig({ options: { answerOptions: false } });
    off.deliver(requestText({ method: 'OPTIONS', uri: `sip:${LB.host}:${LB.port}` }), CALLER);
    expect(asRequest(off.sender.takeOne()).method).toBe('OPTIONS');
    const rig = proxyRig();
    rig.deliver(requestText({ method: 'OPTIONS', uri: `sip:bob@${LB.host}:${LB.port}` }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.11');
  });

  it('answers the 200 at the Via port when the caller did not ask for rport, at the source port when it did', () => {
    const rig = proxyRig();
    const uri = `sip:${LB.host}`;
    rig.deliver(requestText({ method: 'OPTIONS', uri, vias: ['SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-o1'] }), remote('192.0.2.10', 40000));
    expect(rig.sender.takeOne().port).toBe(5070);
    rig.deliver(requestText({ method: 'OPTIONS', uri, callId: 'o2', vias: ['SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-o2;rport'] }), remote('192.0.2.10', 40000));
    expect(rig.sender.takeOne().port).toBe(40000);
  });
});

describe('routed requests', () => {
  it('removes our own Route and forwards to the next Route (loose routing, §16.4)', () => {
    const rig = proxyRig();
    rig.deliver(
      requestText({ method: 'BYE', to: '<sip:bob@lb.test>;tag=b1', headers: [`Route: <sip:${LB.host}:${LB.port};lr>, <sip:198.51.100.12;lr>`] }),
      CALLER,
    );
    const d = rig.sender.takeOne();
    expect([d.host, d.port]).toEqual(['198.51.100.12', 5060]);
    expect(headerValues(d.text, 'Route')).toEqual(['<sip:198.51.100.12;lr>']);
    expect(headerValues(d.text, 'Max-Forwards')).toEqual(['69']);
    expect(rig.events).toEqual([{ kind: 'forwarded', method: 'BYE', backend: 'gw2', isNewCall: false }]);
  });

  it('sends a request from a backend to an outside address its Request-URI names (outbound call)', () => {
    const fwd = recordChannel<{ backend: string; via: string }>('requestForwarded');
    try {
      const rig = proxyRig();
      rig.deliver(requestText({ uri: 'sip:carol@203.0.113.5:5080', vias: ['SIP/2.0/UDP 198.51.100.13:5060;branch=z9hG4bK-out'] }), rig.from('gw3'));
      const d = rig.sender.takeOne();
      expect([d.host, d.port]).toEqual(['203.0.113.5', 5080]);
      expect(headerValues(d.text, 'Record-Route')).toHaveLength(1);
      expect(rig.events).toEqual([{ kind: 'forwarded', method: 'INVITE', backend: undefined, isNewCall: false }]);
      expect(fwd.messages).toEqual([{ method: 'INVITE', backend: 'external', via: 'routed' }]);
    } finally {
      fwd.stop();
    }
  });

  it('dispatches (balancer, affinity) when our Route was the only one and the Request-URI is ours too', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ uri: `sip:bob@${LB.host}`, headers: [`Route: <sip:${LB.host};lr>`] }), CALLER);
    const d = rig.sender.takeOne();
    expect(d.host).toBe('198.51.100.11');
    expect(headerValues(d.text, 'Route')).toEqual([]);
    expect(rig.events).toEqual([{ kind: 'forwarded', method: 'INVITE', backend: 'gw1', isNewCall: true }]);
  });
});

describe('serial failover hooks on the request path', () => {
  it('gives a CANCEL and a retransmission the branch of the INVITE attempt in progress', () => {
    vi.useFakeTimers();
    try {
      const rig = proxyRig({ failover: { timeoutMs: 400 } });
      rig.deliver(requestText(), CALLER);
      const first = rig.sender.takeOne();
      vi.advanceTimersByTime(400); // gw1 silent: the INVITE moves on with a new branch
      const second = rig.sender.takeOne();
      expect(second.host).not.toBe(first.host);
      const branch2 = headerValues(second.text, 'Via')[0];
      expect(branch2).not.toBe(headerValues(first.text, 'Via')[0]);
      rig.deliver(requestText(), CALLER); // the caller's retransmission
      rig.deliver(requestText({ method: 'CANCEL' }), CALLER);
      const [retx, cancel] = rig.sender.take();
      expect([retx!.host, headerValues(retx!.text, 'Via')[0]]).toEqual([second.host, branch2]);
      expect([cancel!.host, headerValues(cancel!.text, 'Via')[0]]).toEqual([second.host, branch2]);
    } finally {
      vi.useRealTimers();
    }
  });
});
