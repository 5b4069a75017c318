/**
 * Edges of the flow-token headers (proxy/flow-headers.ts, RFC 5626 §5.2, RFC 3327 §5): with
 * flow.pathForUdp a UDP client's REGISTER gets a Path but its INVITE keeps the plain
 * Record-Route (the token goes into Record-Route for stream clients only); a REGISTER from a
 * backend or a peer node gets no Path whatever pathForUdp says; `path` is appended to an empty
 * Supported header without a comma, and nothing is added when any of several Supported headers
 * already lists it. A backend's request routed by a token is delivered on the flow whatever its
 * Request-URI (a tel: URI included).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../../src/flow/key-ring.js';
import { issueToken } from '../../../src/flow/token.js';
import { flowChannels } from '../../../src/observe/flow-channels.js';
import { StaticFlowSettings, type FlowNode } from '../../../src/flow/static-settings.js';
import type { FlowRouting } from '../../../src/proxy/context.js';
import type { MessageSource, Transport } from '../../../src/transport/contract.js';
import { proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { headerValues } from '../../helpers/core/recording-sender.js';
import { requestText } from '../../helpers/core/sip-text.js';

const RING = new KeyRing([{ id: 1, secret: Buffer.alloc(32, 9) }], 1);
const GW = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1 }];
const NODES: FlowNode[] = [
  { id: 1, address: { host: '10.0.0.1', port: 5060 }, transport: 'udp' },
  { id: 2, address: { host: '10.0.0.2', port: 5060 }, transport: 'udp' },
];
const UDP_CLIENT: MessageSource = { transport: 'udp', address: '192.0.2.30', port: 5099 };
const TCP_CLIENT: MessageSource = { transport: 'tcp', address: '192.0.2.20', port: 40111, connectionId: 17 };

function rig(pathForUdp: boolean): ProxyRig {
  const flow: FlowRouting = {
    settings: new StaticFlowSettings(RING, 1, NODES, pathForUdp),
    directory: { isOpen: (t: Transport) => t !== 'udp' },
  };
  return proxyRig({ backends: GW, flow });
}

const register = (headers: string[] = [], via = 'SIP/2.0/UDP 192.0.2.30:5099;branch=z9hG4bK-r1'): string =>
  requestText({ method: 'REGISTER', uri: 'sip:example.test', vias: [via], to: '<sip:carol@example.test>', from: '<sip:carol@example.test>;tag=r1', headers });

describe('flow headers with pathForUdp', () => {
  it("a UDP client's REGISTER gets a Path, its INVITE a plain Record-Route", () => {
    const r = rig(true);
    r.deliver(register(), UDP_CLIENT);
    expect(headerValues(r.sender.takeOne().text, 'Path')).toHaveLength(1);
    r.deliver(requestText({ callId: 'udp-inv', vias: ['SIP/2.0/UDP 192.0.2.30:5099;branch=z9hG4bK-i1'] }), UDP_CLIENT);
    expect(headerValues(r.sender.takeOne().text, 'Record-Route')).toEqual(['<sip:198.51.100.1:5060;lr>']);
  });

  it('a REGISTER from a backend or from a peer node gets no Path', () => {
    const r = rig(true);
    r.deliver(register([], 'SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bK-b1'), { transport: 'udp', address: '198.51.100.11', port: 5060 });
    expect(headerValues(r.sender.takeOne().text, 'Path')).toEqual([]);
    r.deliver(register([], 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-p1'), { transport: 'udp', address: '10.0.0.2', port: 5060 });
    const sent = r.sender.take();
    expect(sent.flatMap((d) => headerValues(d.text, 'Path'))).toEqual([]);
  });
});

describe('Supported: path', () => {
  it('is appended to an empty Supported header without a comma', () => {
    const r = rig(false);
    r.deliver(register(['Supported: '], 'SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-t1'), TCP_CLIENT);
    expect(headerValues(r.sender.takeOne().text, 'Supported')).toEqual(['path']);
  });

  it('is not added when any of several Supported headers lists it', () => {
    const r = rig(false);
    r.deliver(register(['Supported: timer', 'Supported: path'], 'SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-t2'), TCP_CLIENT);
    expect(headerValues(r.sender.takeOne().text, 'Supported')).toEqual(['timer', 'path']);
  });
});

describe('a backend request and flow tokens (proxy/flow-route.ts)', () => {
  const BACKEND: MessageSource = { transport: 'udp', address: '198.51.100.11', port: 5060 };
  const tcp17 = (): string => issueToken(RING, 1, { transport: 'tcp', connectionId: 17 }, Date.now());
  const backendRequest = (routes: string[], uri = 'sip:alice@192.0.2.20:40111;transport=tcp'): string =>
    requestText({
      method: 'BYE',
      uri,
      vias: ['SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bK-b9'],
      to: '<sip:alice@example.test>;tag=a1',
      from: '<sip:bob@example.test>;tag=b1',
      callId: 'fr-1',
      headers: routes.map((r) => `Route: ${r}`),
    });

  it('without a Route, or with our Route without a user part, is routed as usual', () => {
    const r = rig(false);
    r.deliver(backendRequest([], 'sip:carol@203.0.113.5'), BACKEND);
    expect([r.sender.sent[0]?.host, r.sender.sent[0]?.port]).toEqual(['203.0.113.5', 5060]);
    r.sender.take();
    r.deliver(backendRequest(['<sip:198.51.100.1;lr>'], 'sip:carol@203.0.113.5'), BACKEND);
    const d = r.sender.takeOne();
    expect([d.host, headerValues(d.text, 'Route')]).toEqual(['203.0.113.5', []]);
  });

  it('a sips: token Route naming us is routed by its token', () => {
    const r = rig(false);
    r.deliver(backendRequest([`<sips:${tcp17()}@198.51.100.1:5060;lr>`]), BACKEND);
    const d = r.sender.takeOne();
    expect([d.transport, d.connectionId]).toEqual(['tcp', 17]);
  });

  it("pops only our entry: a next Route that is not ours stays; the target is labelled with the Request-URI's host and port", () => {
    const r = rig(false);
    r.deliver(backendRequest([`<sip:${tcp17()}@198.51.100.1;lr>`, '<sip:edge.example.test;lr>']), BACKEND);
    const d = r.sender.takeOne();
    expect([d.transport, d.connectionId, d.host, d.port]).toEqual(['tcp', 17, '192.0.2.20', 40111]);
    expect(headerValues(d.text, 'Route')).toEqual(['<sip:edge.example.test;lr>']);
  });

  it('a tel: Request-URI (no host or port to label the target with) is still delivered on the flow', () => {
    const r = rig(false);
    r.deliver(backendRequest([`<sip:${tcp17()}@198.51.100.1;lr>`], 'tel:+15550100'), BACKEND);
    const d = r.sender.takeOne();
    // The connection is what counts (connectionOnly); the label falls back to the source's host.
    expect([d.transport, d.connectionId, d.host, d.port]).toEqual(['tcp', 17, BACKEND.address, 0]);
    expect([d.text.split('\r\n', 1)[0], headerValues(d.text, 'Route')]).toEqual(['BYE tel:+15550100 SIP/2.0', []]);
  });

  it('a Route that is no SIP URI is refused before any routing (400)', () => {
    const r = rig(false);
    r.deliver(backendRequest([`<sip:${tcp17()}@198.51.100.1;lr>`, '<tel:+15550100>']), BACKEND);
    expect(r.sender.takeOne().text.split('\r\n', 1)[0]).toBe('SIP/2.0 400 Bad Request');
  });

  it("relays another node's token from a backend to that node", () => {
    const r = rig(false);
    const foreign = issueToken(RING, 2, { transport: 'tcp', connectionId: 5 }, Date.now());
    r.deliver(backendRequest([`<sip:${foreign}@198.51.100.1;lr>`]), BACKEND);
    const d = r.sender.takeOne();
    expect([d.host, d.port]).toEqual(['10.0.0.2', 5060]);
  });

  it('names why in the Warning of a 430', () => {
    const r = rig(false);
    const gone = issueToken(RING, 1, { transport: 'tcp', connectionId: 99 }, Date.now());
    const closed: FlowRouting = { settings: new StaticFlowSettings(RING, 1, NODES, false), directory: { isOpen: () => false } };
    const r2 = proxyRig({ backends: GW, flow: closed });
    r2.deliver(backendRequest([`<sip:${gone}@198.51.100.1;lr>`]), BACKEND);
    const d = r2.sender.takeOne();
    expect(d.text.split('\r\n', 1)[0]).toBe('SIP/2.0 430 Flow Failed');
    expect(headerValues(d.text, 'Warning')).toEqual(['399 siplb "flow failed: connection-gone"']);
    expect(r.sender.sent).toEqual([]);
  });
});

describe('what only a REGISTER gets', () => {
  it("a stream client's INVITE gets the token in Record-Route but no Path, and no pathAdded event", () => {
    const added: unknown[] = [];
    const onAdded = (m: unknown): void => void added.push(m);
    diagnosticsChannel.subscribe(flowChannels.pathAdded.name, onAdded);
    try {
      const r = rig(false);
      r.deliver(requestText({ callId: 'tcp-inv', vias: ['SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-t9'] }), TCP_CLIENT);
      const d = r.sender.takeOne();
      expect(headerValues(d.text, 'Path')).toEqual([]);
      expect(headerValues(d.text, 'Record-Route')[0]).toMatch(/^<sip:[^@>]+@/);
      expect(added).toEqual([]);
      r.deliver(register([], 'SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-t10'), TCP_CLIENT);
      expect(added).toHaveLength(1);
    } finally {
      diagnosticsChannel.unsubscribe(flowChannels.pathAdded.name, onAdded);
    }
  });

  it('reads a Supported header name written with space before the colon', () => {
    const r = rig(false);
    r.deliver(register(['Supported : timer'], 'SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-t11'), TCP_CLIENT);
    const d = r.sender.takeOne();
    expect(d.text).toContain('\r\nSupported : timer, path\r\n');
    expect(headerValues(d.text, 'Supported')).toEqual(['timer, path']);
  });
});
