/**
 * Edges of the outgoing leg and of stateless replies: the size switch fires only above udpMtu
 * (RFC 3261 §18.1.1: "larger than" the MTU), never towards a next hop that is no configured
 * backend, and never off a TLS leg (it only lifts UDP); a reply to a request that came over a stream goes back to the connection's source
 * port, not the Via's port (§18.2.2); an ACK of a call whose failover entry is gone still takes
 * the INVITE's branch (§17.1.1.3).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeBranch } from '../../../src/proxy/branch.js';
import type { BackendDef } from '../../../src/backends/registry.js';
import { proxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, request, requestText } from '../../helpers/core/sip-text.js';
import type { MessageSource } from '../../../src/transport/contract.js';

const TCP_OK: BackendDef[] = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1, acceptsTcp: true }];

describe('the size switch boundary', () => {
  it('a request exactly udpMtu long stays on UDP; one byte over udpMtu switches to TCP', () => {
    const text = requestText({ body: 'v=0\r\n' });
    const probe = proxyRig({ backends: TCP_OK, options: { udpMtu: 0 } });
    probe.deliver(text, CALLER);
    const size = probe.sender.takeOne().buf.length;
    const at = proxyRig({ backends: TCP_OK, options: { udpMtu: size } });
    at.deliver(text, CALLER);
    expect(at.sender.takeOne().transport).toBe('udp');
    const over = proxyRig({ backends: TCP_OK, options: { udpMtu: size - 1 } });
    over.deliver(text, CALLER);
    const d = over.sender.takeOne();
    expect([d.transport, d.host, d.port]).toEqual(['tcp', '198.51.100.11', 5060]);
    expect(headerValues(d.text, 'Via')[0]).toMatch(/^SIP\/2\.0\/TCP /);
  });

  it('a TLS backend that also accepts TCP keeps its TLS leg for a large request (the switch only lifts UDP)', () => {
    const tls: BackendDef[] = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5061 }, weight: 1, transport: 'tls', acceptsTcp: true }];
    const rig = proxyRig({ backends: tls, options: { udpMtu: 200 } });
    rig.deliver(requestText({ body: 'v=0\r\n'.repeat(60) }), CALLER);
    const d = rig.sender.takeOne();
    expect(d.buf.length).toBeGreaterThan(200);
    expect([d.transport, d.host, d.port]).toEqual(['tls', '198.51.100.11', 5061]);
    // A sips: Request-URI over it is no insecure leg either (RFC 3261 §26.2.2).
    rig.deliver(requestText({ uri: 'sips:bob@lb.test', callId: 'tls-2', body: 'v=0\r\n'.repeat(60) }), CALLER);
    expect(rig.sender.takeOne().transport).toBe('tls');
  });

  it('a large request from a backend to a next hop that is no backend leaves as its URI says', () => {
    const rig = proxyRig({ backends: TCP_OK, options: { udpMtu: 200 } });
    rig.deliver(requestText({ uri: 'sip:carol@203.0.113.20', body: 'v=0\r\n' }), rig.from('gw1'));
    const d = rig.sender.takeOne();
    expect([d.transport, d.host, d.port]).toEqual(['udp', '203.0.113.20', 5060]);
  });
});

describe('a stateless reply over a stream', () => {
  it("goes to the connection's source port and connection, whatever the Via's port says", () => {
    const rig = proxyRig();
    const from: MessageSource = { transport: 'tcp', address: '192.0.2.10', port: 40001, connectionId: 7 };
    rig.deliver(requestText({ maxForwards: 0, vias: ['SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bK-s1'] }), from);
    const d = rig.sender.takeOne();
    expect([d.text.split('\r\n', 1)[0], d.transport, d.host, d.port, d.connectionId]).toEqual(['SIP/2.0 483 Too Many Hops', 'tcp', '192.0.2.10', 40001, 7]);
  });

  it("over UDP without rport goes to the Via's port", () => {
    const rig = proxyRig();
    rig.deliver(requestText({ maxForwards: 0, vias: ['SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-s2'] }), { transport: 'udp', address: '192.0.2.10', port: 40002 });
    expect(rig.sender.takeOne().port).toBe(5070);
  });
});

describe('failover bookkeeping seen from the wire', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("the ACK of a final answer that ended the call's failover entry takes the INVITE's branch", () => {
    const rig = proxyRig({ failover: {} });
    rig.deliver(requestText({ callId: 'ack-1' }), CALLER);
    const inv = rig.sender.takeOne();
    rig.deliver(answer(inv.buf, 486), rig.from('gw1'));
    expect(rig.sender.takeOne().host).toBe(CALLER.address);
    rig.deliver(requestText({ method: 'ACK', callId: 'ack-1', to: '<sip:bob@lb.test>;tag=uas-tag' }), CALLER);
    const ack = rig.sender.takeOne();
    expect(ack.host).toBe(inv.host);
    expect(asRequest(ack).topVia().branch).toBe(asRequest(inv).topVia().branch);
    expect(asRequest(ack).topVia().branch).toBe(computeBranch(request({ callId: 'ack-1' }), request().topVia(), 0));
  });
});

describe('a refused sips: request', () => {
  it('is not reported as forwarded', () => {
    const rig = proxyRig({ backends: [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1 }] });
    rig.deliver(requestText({ uri: 'sips:bob@lb.test' }), CALLER);
    expect(rig.sender.takeOne().text.split('\r\n', 1)[0]).toBe('SIP/2.0 403 Forbidden');
    expect(rig.events).toEqual([]);
  });
});
