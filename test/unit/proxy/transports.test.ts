/**
 * The proxy across transports (issue 16), driven in-process with the recording sender: the Via
 * names the outgoing leg, a stream source's connection rides in our Via so the response goes back
 * on it (RFC 3261 §18.2.2), legs of different transports get two Record-Routes (RFC 5658) that
 * are both removed on the way back, a large request switches to TCP (§18.1.1), and a sips:
 * Request-URI never leaves over a leg that is not TLS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, headerValues } from '../../helpers/core/recording-sender.js';
import { answer, CALLER, requestText } from '../../helpers/core/sip-text.js';
import type { MessageSource } from '../../../src/transport/contract.js';

const TCP_CALLER: MessageSource = { transport: 'tcp', address: '192.0.2.20', port: 40111, connectionId: 17 };
const TCP_VIA = 'SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK-tcp-1';
const UDP_GW = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1 }];
const TCP_GW = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, transport: 'tcp' as const, weight: 1 }];

let recorders: ChannelRecorder<unknown>[] = [];
afterEach(() => {
  for (const r of recorders) r.stop();
  recorders = [];
});

describe('a caller over TCP, a backend over UDP', () => {
  it('pushes a UDP Via carrying the connection id, and two Record-Routes (outgoing leg on top)', () => {
    const rig = proxyRig({ backends: UDP_GW });
    rig.deliver(requestText({ vias: [TCP_VIA] }), TCP_CALLER);
    const d = rig.sender.takeOne();
    expect(d.transport).toBe('udp');
    const vias = headerValues(d.text, 'Via');
    expect(vias[0]).toMatch(/^SIP\/2\.0\/UDP 198\.51\.100\.1:5060;branch=z9hG4bKsl[0-9a-f]{16};lbflow=17$/);
    expect(headerValues(d.text, 'Record-Route')).toEqual([
      `<sip:${LB.host}:${LB.port};transport=udp;lr;r2=on>`,
      `<sip:${LB.host}:${LB.port};transport=tcp;lr;r2=on>`,
    ]);
  });

  it('sends the response back on the caller connection, over TCP (§18.2.2)', () => {
    const rig = proxyRig({ backends: UDP_GW });
    rig.deliver(requestText({ vias: [TCP_VIA] }), TCP_CALLER);
    const fwd = asRequest(rig.sender.takeOne());
    rig.deliver(answer(fwd, 180, { toTag: 'b1' }), rig.from('gw1'));
    const back = rig.sender.takeOne();
    expect({ transport: back.transport, host: back.host, port: back.port, connectionId: back.connectionId }).toEqual({
      transport: 'tcp',
      host: '192.0.2.20',
      port: 5060,
      connectionId: 17,
    });
    expect(headerValues(back.text, 'Via')).toEqual([TCP_VIA]);
  });

  it('removes both of its Record-Route entries from an in-dialog request coming back (RFC 5658)', () => {
    const rig = proxyRig({ backends: UDP_GW });
    const routes = [`Route: <sip:${LB.host}:${LB.port};transport=tcp;lr;r2=on>`, `Route: <sip:${LB.host}:${LB.port};transport=udp;lr;r2=on>`];
    rig.deliver(requestText({ method: 'BYE', uri: 'sip:bob@198.51.100.11:5060', to: '<sip:bob@lb.test>;tag=b1', vias: [TCP_VIA], headers: routes }), TCP_CALLER);
    const d = rig.sender.takeOne();
    expect([d.host, d.port, d.transport]).toEqual(['198.51.100.11', 5060, 'udp']);
    expect(headerValues(d.text, 'Route')).toEqual([]);
  });

  it('removes both entries when they share one Route line, and keeps a Route after them', () => {
    const rig = proxyRig({ backends: UDP_GW });
    const line = `Route: <sip:${LB.host}:${LB.port};transport=tcp;lr;r2=on>, <sip:${LB.host}:${LB.port};transport=udp;lr;r2=on> ,<sip:198.51.100.11:5060;lr>`;
    rig.deliver(requestText({ method: 'BYE', uri: 'sip:bob@198.51.100.11:5060', to: '<sip:bob@lb.test>;tag=b1', vias: [TCP_VIA], headers: [line] }), TCP_CALLER);
    const d = rig.sender.takeOne();
    expect(headerValues(d.text, 'Route')).toEqual(['<sip:198.51.100.11:5060;lr>']);

    const only = proxyRig({ backends: UDP_GW });
    const pair = `Route: <sip:${LB.host}:${LB.port};transport=tcp;lr;r2=on>,<sip:${LB.host}:${LB.port};transport=udp;lr;r2=on>`;
    only.deliver(requestText({ method: 'BYE', uri: 'sip:bob@198.51.100.11:5060', to: '<sip:bob@lb.test>;tag=b1', vias: [TCP_VIA], headers: [pair] }), TCP_CALLER);
    expect(headerValues(only.sender.takeOne().text, 'Route')).toEqual([]);
  });
});

describe('a backend over TCP', () => {
  it('gets the request over TCP with a TCP Via, and one Record-Route per leg when the caller is on UDP', () => {
    const rig = proxyRig({ backends: TCP_GW });
    rig.deliver(requestText(), CALLER);
    const d = rig.sender.takeOne();
    expect(d.transport).toBe('tcp');
    expect(headerValues(d.text, 'Via')[0]).toMatch(/^SIP\/2\.0\/TCP 198\.51\.100\.1:5060;branch=z9hG4bKsl[0-9a-f]{16}$/);
    expect(headerValues(d.text, 'Record-Route')).toHaveLength(2);
  });

  it('keeps one Record-Route, naming tcp, when both legs are TCP', () => {
    const rig = proxyRig({ backends: TCP_GW });
    rig.deliver(requestText({ vias: [TCP_VIA] }), TCP_CALLER);
    expect(headerValues(rig.sender.takeOne().text, 'Record-Route')).toEqual([`<sip:${LB.host}:${LB.port};transport=tcp;lr>`]);
  });
});

describe('a backend that opens its own TCP connection', () => {
  it('is still a backend (no-open-relay) though its source port is ephemeral: its BYE to a client is forwarded', () => {
    const rig = proxyRig({ backends: TCP_GW });
    const fromGw: MessageSource = { transport: 'tcp', address: '198.51.100.11', port: 49152, connectionId: 40 };
    const route = `Route: <sip:${LB.host}:${LB.port};transport=tcp;lr>`;
    rig.deliver(
      requestText({ method: 'BYE', uri: 'sip:alice@192.0.2.10:5060', to: '<sip:alice@caller.test>;tag=a1', vias: ['SIP/2.0/TCP 198.51.100.11:5060;branch=z9hG4bK-gw-bye'], headers: [route] }),
      fromGw,
    );
    const d = rig.sender.takeOne();
    expect([d.host, d.port, d.text.split('\r\n', 1)[0]]).toEqual(['192.0.2.10', 5060, 'BYE sip:alice@192.0.2.10:5060 SIP/2.0']);
  });

  it('but an unknown host over TCP cannot relay to a client', () => {
    const rig = proxyRig({ backends: TCP_GW });
    const stranger: MessageSource = { transport: 'tcp', address: '203.0.113.9', port: 49152, connectionId: 41 };
    rig.deliver(
      requestText({ method: 'BYE', uri: 'sip:alice@192.0.2.10:5060', to: '<sip:alice@caller.test>;tag=a1', vias: ['SIP/2.0/TCP 203.0.113.9:5060;branch=z9hG4bK-x'], headers: ['Route: <sip:192.0.2.10:5060;lr>'] }),
      stranger,
    );
    const d = rig.sender.takeOne();
    expect([d.host, d.connectionId, d.text.split('\r\n', 1)[0]]).toEqual(['203.0.113.9', 41, 'SIP/2.0 403 Forbidden']);
  });
});

describe('the size switch (RFC 3261 §18.1.1)', () => {
  const sdp = `v=0\r\n${'a=x-filler:0123456789abcdef0123456789abcdef\r\n'.repeat(70)}`;

  it('sends a UDP request larger than udpMtu to a backend that accepts TCP over TCP, with a TCP Via', () => {
    const switches = recordChannel<{ from: string; to: string; bytes: number }>('transportSwitch');
    recorders.push(switches);
    const rig = proxyRig({ backends: [{ ...UDP_GW[0]!, acceptsTcp: true }] });
    rig.deliver(requestText({ body: sdp, headers: ['Content-Type: application/sdp'] }), CALLER);
    const d = rig.sender.takeOne();
    expect(d.buf.length).toBeGreaterThan(1300);
    expect(d.transport).toBe('tcp');
    expect(headerValues(d.text, 'Via')[0]).toMatch(/^SIP\/2\.0\/TCP /);
    expect(switches.messages).toEqual([{ from: 'udp', to: 'tcp', bytes: expect.any(Number) }]);
  });

  it('keeps a small request on UDP, and a large one on UDP when the backend takes only UDP', () => {
    const rig = proxyRig({ backends: [{ ...UDP_GW[0]!, acceptsTcp: true }] });
    rig.deliver(requestText(), CALLER);
    expect(rig.sender.takeOne().transport).toBe('udp');
    const udpOnly = proxyRig({ backends: UDP_GW });
    udpOnly.deliver(requestText({ body: sdp }), CALLER);
    expect(udpOnly.sender.takeOne().transport).toBe('udp');
  });

  it('is off with udpMtu 0', () => {
    const rig = proxyRig({ backends: [{ ...UDP_GW[0]!, acceptsTcp: true }], options: { udpMtu: 0 } });
    rig.deliver(requestText({ body: sdp }), CALLER);
    expect(rig.sender.takeOne().transport).toBe('udp');
  });
});

describe('sips: Request-URIs', () => {
  it('are refused with 403 when the next hop has no TLS leg, and nothing is forwarded', () => {
    const rejects = recordChannel<{ reason: string; status: number }>('reject');
    recorders.push(rejects);
    const rig = proxyRig({ backends: UDP_GW });
    rig.deliver(requestText({ uri: 'sips:bob@lb.test' }), CALLER);
    const d = rig.sender.takeOne();
    expect([d.host, d.port]).toEqual(['192.0.2.10', 5060]);
    expect(d.text.startsWith('SIP/2.0 403 ')).toBe(true);
    expect(headerValues(d.text, 'Warning')[0]).toContain('no TLS leg');
    expect(rejects.messages).toEqual([expect.objectContaining({ reason: 'insecure-leg', status: 403 })]);
  });

  it('go to a TLS backend, with sips: in the Record-Route entry facing it', () => {
    const rig = proxyRig({ backends: [{ id: 'gw1', address: { host: '198.51.100.11', port: 5061 }, transport: 'tls', weight: 1 }] });
    rig.deliver(requestText({ uri: 'sips:bob@lb.test' }), CALLER);
    const d = rig.sender.takeOne();
    expect(d.transport).toBe('tls');
    expect(headerValues(d.text, 'Record-Route')[0]).toMatch(/^<sips:/);
  });
});
