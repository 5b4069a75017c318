/**
 * Edges of dispatching (proxy/request-path.ts, route-decision.ts): at most two Route entries of
 * ours are removed (one RFC 5658 pair, §16.4); a CANCEL or ACK of a forgotten transaction follows
 * the balancer, never a registration holder (it belongs to the INVITE transaction, §9.1,
 * §17.1.1.3); a holder that is not eligible is passed over; a request re-sent by failover counts
 * as a new call only when it is an INVITE; a pin dropped for an ineligible backend is dropped
 * from both affinity tables. Without flow routing a Route of ours with a user part is popped like
 * any other; our own CANCEL coming back (no Via below ours) is no loop; a UDP datagram from
 * another port of a backend's host is a client's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackendRegistry, type BackendDef } from '../../../src/backends/registry.js';
import { decideRoute } from '../../../src/proxy/route-decision.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { BACKENDS, LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, request, requestText } from '../../helpers/core/sip-text.js';

const OUR_ROUTE = `Route: <sip:${LB.host};lr>`;

describe('our Route entries', () => {
  it('removes at most two of ours; a third names the next hop', () => {
    const backends = new BackendRegistry(BACKENDS);
    const d = decideRoute(request({ headers: [OUR_ROUTE, OUR_ROUTE, OUR_ROUTE] }), backends.byId('gw2'), new SelfAddress(LB, LB), backends, true);
    expect(d.kind).toBe('forward');
    if (d.kind !== 'forward') return;
    expect(d.removeRoutes).toHaveLength(2);
    expect([d.target.host, d.target.port]).toEqual([LB.host, LB.port]);
  });
});

describe('registration holders and dispatch', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  const held = () => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.users.hold('alice', 'gw3', performance.now() + 600_000);
    return rig;
  };

  it('a request from the AOR goes to its holder', () => {
    const rig = held();
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'h1', from: '<sip:alice@example.test>;tag=1' }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.13');
  });

  it.each(['CANCEL', 'ACK'])('a %s of a forgotten transaction follows the balancer, not the holder', (method) => {
    const rig = held();
    rig.deliver(requestText({ method, callId: `h-${method}`, from: '<sip:alice@example.test>;tag=1' }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.11');
  });

  it('a holder that is not eligible is passed over', () => {
    const rig = held();
    rig.registry.setEligible('gw3', false);
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'h2', from: '<sip:alice@example.test>;tag=1' }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.11');
  });
});

describe('failover re-sends and pins', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('a MESSAGE re-sent by failover is no new call for the observers', () => {
    const rig = proxyRig({ failover: { timeoutMs: 400, methods: new Set(['MESSAGE']) } });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'rs-1' }), CALLER);
    vi.advanceTimersByTime(400);
    expect(rig.events.filter((e) => e.kind === 'forwarded')).toEqual([
      { kind: 'forwarded', method: 'MESSAGE', backend: 'gw1', isNewCall: false },
      { kind: 'forwarded', method: 'MESSAGE', backend: expect.any(String), isNewCall: false },
    ]);
  });

  it('a pin dropped because its backend went down is gone from both tables: the next CANCEL follows the new pick', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ callId: 'pin-1' }), CALLER); // ringing INVITE pinned to gw1
    expect(rig.sender.takeOne().host).toBe('198.51.100.11');
    rig.registry.setEligible('gw1', false);
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'pin-1', cseq: 2 }), CALLER); // re-balanced to gw2
    expect(rig.sender.takeOne().host).toBe('198.51.100.12');
    rig.deliver(requestText({ method: 'CANCEL', callId: 'pin-1' }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.12');
  });
});

describe('a Route of ours with a user part, flow tokens off', () => {
  // Without flow routing configured a user part is no token: our Route is popped as loose
  // routing says (§16.4), whoever sent the request.
  const TOKEN_LIKE_ROUTE = `Route: <sip:abc123@${LB.host};lr>`;

  it('from a client: popped, and the request dispatched as usual', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ callId: 'ur-1', uri: `sip:bob@${LB.host}`, headers: [TOKEN_LIKE_ROUTE] }), CALLER);
    const d = rig.sender.takeOne();
    expect([asRequest(d).method, d.host, headerValues(d.text, 'Route')]).toEqual(['INVITE', '198.51.100.11', []]);
  });

  it('from a backend: popped, and the request sent to its Request-URI', () => {
    const rig = proxyRig();
    rig.deliver(
      requestText({ callId: 'ur-2', uri: 'sip:carol@203.0.113.5', vias: ['SIP/2.0/UDP 198.51.100.12:5060;branch=z9hG4bK-b1'], headers: [TOKEN_LIKE_ROUTE] }),
      rig.from('gw2'),
    );
    const d = rig.sender.takeOne();
    expect([d.host, d.port, headerValues(d.text, 'Route')]).toEqual(['203.0.113.5', 5060, []]);
  });
});

describe('loop detection (§16.3 step 4)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('our own CANCEL handed back by a backend is no loop: with no Via below ours there is nothing to compare, it is forwarded', () => {
    const rig = proxyRig({ failover: { timeoutMs: 400, maxAttempts: 2 } });
    rig.deliver(requestText({ callId: 'own-cancel-1' }), CALLER);
    const first = rig.sender.takeOne();
    vi.advanceTimersByTime(400);
    rig.sender.take();
    rig.deliver(answer(first.buf, 180), rig.from('gw1')); // the abandoned branch rings: siplb CANCELs it
    const cancel = rig.sender.takeOne();
    expect([asRequest(cancel).method, headerValues(cancel.text, 'Via')]).toEqual(['CANCEL', [expect.stringMatching(new RegExp(`^SIP/2\\.0/UDP ${LB.host}:${LB.port};branch=`))]]);
    rig.deliver(cancel.buf, rig.from('gw1'));
    const back = rig.sender.takeOne();
    // As any request from a backend: to its Request-URI, our Via on top of the old one.
    expect([asRequest(back).method, back.host, headerValues(back.text, 'Via').length]).toEqual(['CANCEL', 'lb.test', 2]);
    expect(headerValues(back.text, 'Via')[1]).toBe(`${headerValues(cancel.text, 'Via')[0]};received=198.51.100.11`);
  });
});

describe('who a UDP request comes from', () => {
  // Over UDP a backend sends from its configured address (RFC 3261 §18.2.1, symmetric
  // signalling); only a stream a backend opened itself has an ephemeral source port. A UDP
  // datagram from another port of a backend's host is a client's: dispatched, never relayed
  // to its Request-URI (no open relay).
  const STREAM_ON_HOST: BackendDef[] = [
    { id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1, transport: 'tcp' },
    { id: 'gw2', address: { host: '198.51.100.12', port: 5060 }, weight: 1, acceptsTcp: true },
  ];

  it.each([
    ['a tcp backend', '198.51.100.11'],
    ['an acceptsTcp backend', '198.51.100.12'],
  ])("from another port of %s's host is a client's request", (_what, host) => {
    const rig = proxyRig({ backends: STREAM_ON_HOST });
    rig.deliver(
      requestText({ callId: `other-port-${host}`, uri: 'sip:carol@203.0.113.5', vias: [`SIP/2.0/UDP ${host}:5999;branch=z9hG4bK-o1`] }),
      { transport: 'udp', address: host, port: 5999 },
    );
    const d = rig.sender.takeOne();
    expect([d.host, d.port, d.transport]).toEqual(['198.51.100.11', 5060, 'tcp']);
    expect(rig.events).toContainEqual({ kind: 'forwarded', method: 'INVITE', backend: 'gw1', isNewCall: true });
  });
});
