/**
 * Edges of dispatching (proxy/request-path.ts, route-decision.ts): at most two Route entries of
 * ours are removed (one RFC 5658 pair, §16.4); a CANCEL or ACK of a forgotten transaction follows
 * the balancer, never a registration holder (it belongs to the INVITE transaction, §9.1,
 * §17.1.1.3); a holder that is not eligible is passed over; a request re-sent by failover counts
 * as a new call only when it is an INVITE; a pin dropped for an ineligible backend is dropped
 * from both affinity tables.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';
import { decideRoute } from '../../../src/proxy/route-decision.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { BACKENDS, LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { CALLER, request, requestText } from '../../helpers/core/sip-text.js';

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
