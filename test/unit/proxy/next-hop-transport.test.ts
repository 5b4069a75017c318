/**
 * The transport and port of a next hop, read from a URI (route-decision.ts uriTransport, RFC 3263
 * §4.1 without NAPTR/SRV; §26.2.2: sips never downgraded) or from a Via (response-address.ts,
 * RFC 3261 §18.2.2 with RFC 3263 §5 and RFC 7118 §5.2), and the `.invalid` hosts a browser makes
 * up (RFC 6761 §6.4) that no request may be sent to without a flow token.
 */
import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';
import { defaultPort, responseAddress, viaTransport } from '../../../src/proxy/response-address.js';
import { decideRoute, uriTransport } from '../../../src/proxy/route-decision.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { parseSipUri } from '../../../src/sip/index.js';
import type { SipUri, Via } from '../../../src/sip/message.js';
import { BACKENDS, LB } from '../../helpers/core/proxy-rig.js';
import { request } from '../../helpers/core/sip-text.js';

const uri = (text: string): SipUri => {
  const b = Buffer.from(text, 'latin1');
  const u = parseSipUri(b, 0, b.length);
  if (u === undefined) throw new Error(`bad uri ${text}`);
  return u;
};
const via = (value: string): Via => request({ vias: [value] }).topVia();

describe('uriTransport', () => {
  it.each([
    ['sip:bob@example.test', 'udp'],
    ['sip:bob@example.test;transport=udp', 'udp'],
    ['sip:bob@example.test;transport=tcp', 'tcp'],
    ['sip:bob@example.test;transport=tls', 'tls'],
    ['sip:bob@example.test;transport=ws', 'ws'],
    ['sip:bob@example.test;transport=wss', 'wss'],
    ['sip:bob@example.test;transport=sctp', 'udp'],
    ['sip:bob@example.test;transport=', 'udp'],
    ['sips:bob@example.test', 'tls'],
    ['sips:bob@example.test;transport=tcp', 'tls'],
    ['sips:bob@example.test;transport=ws', 'wss'],
    ['sips:bob@example.test;transport=wss', 'wss'],
  ])('%s → %s', (text, transport) => {
    expect(uriTransport(uri(text))).toBe(transport);
  });
});

describe('viaTransport, defaultPort, responseAddress', () => {
  it.each([
    ['SIP/2.0/UDP h.test', 'udp', 5060],
    ['SIP/2.0/TCP h.test', 'tcp', 5060],
    ['SIP/2.0/TLS h.test', 'tls', 5061],
    ['SIP/2.0/WS h.test', 'ws', 80],
    ['SIP/2.0/WSS h.test', 'wss', 443],
    ['SIP/2.0/SCTP h.test', 'udp', 5060],
  ])('%s: transport %s, default port %d', (value, transport, port) => {
    const v = via(`${value};branch=z9hG4bK-1`);
    expect(viaTransport(v)).toBe(transport);
    expect(defaultPort(viaTransport(v))).toBe(port);
    expect(responseAddress(v)).toEqual({ transport, host: 'h.test', port, connectionId: undefined });
  });

  it('prefers received over the sent-by host and a filled-in rport over the sent-by port (RFC 3581 §4)', () => {
    expect(responseAddress(via('SIP/2.0/UDP h.test:5070;received=192.0.2.7;rport=40000;branch=z9hG4bK-1'), 9)).toEqual({
      transport: 'udp',
      host: '192.0.2.7',
      port: 40000,
      connectionId: 9,
    });
    // A bare rport (not filled in) leaves the sent-by port.
    expect(responseAddress(via('SIP/2.0/UDP h.test:5070;rport;branch=z9hG4bK-1')).port).toBe(5070);
  });
});

describe('a next hop under .invalid (RFC 6761 §6.4) from a backend', () => {
  const backends = new BackendRegistry(BACKENDS);
  const decide = (ruri: string) => decideRoute(request({ uri: ruri }), backends.byId('gw1'), new SelfAddress(LB, LB), backends, true);

  it.each(['sip:bob@df7jal23ls0d.invalid', 'sip:bob@DF7JAL23LS0D.INVALID', 'sip:bob@x.invalid.', 'sip:bob@invalid', 'sip:bob@invalid.'])('%s → 404 unresolvable', (ruri) => {
    expect(decide(ruri)).toEqual({ kind: 'reject', status: 404, reason: 'unresolvable' });
  });

  it.each(['sip:bob@invalid.example.test', 'sip:bob@notinvalid', 'sip:bob@example.test.'])('%s is forwarded', (ruri) => {
    expect(decide(ruri).kind).toBe('forward');
  });
});
