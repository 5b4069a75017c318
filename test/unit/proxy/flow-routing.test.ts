/**
 * Flow tokens through the proxy (issue 17 items 2-5; RFC 5626 §5.2-§5.3, RFC 3327), in-process
 * with the recording sender: a client's REGISTER gets a Path naming its flow and Supported: path;
 * a client's INVITE over TCP gets the token in its Record-Route; a backend's request whose top
 * Route carries our token goes out on that connection with our Routes removed; a gone
 * connection is 430, a tampered token 403 with nothing sent, another node's token is relayed
 * there once; a client can never reach another client's flow.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../../../src/flow/key-ring.js';
import { StaticFlowSettings, type FlowNode } from '../../../src/flow/static-settings.js';
import { checkToken, issueToken, type Flow } from '../../../src/flow/token.js';
import { flowChannels } from '../../../src/observe/flow-channels.js';
import { SecurityPolicy } from '../../../src/security/policy.js';
import { DEFAULT_SCANNER_USER_AGENTS } from '../../../src/security/signatures.js';
import type { FlowRouting } from '../../../src/proxy/context.js';
import type { MessageSource, Transport } from '../../../src/transport/contract.js';
import { LB, proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asResponse, headerValues } from '../../helpers/core/recording-sender.js';
import { requestText } from '../../helpers/core/sip-text.js';

const KEY = Buffer.alloc(32, 7);
const RING = new KeyRing([{ id: 1, secret: KEY }], 1);
const GW = [{ id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1 }];
const GW_SRC: MessageSource = { transport: 'udp', address: '198.51.100.11', port: 5060 };
const TCP_CLIENT: MessageSource = { transport: 'tcp', address: '192.0.2.20', port: 40111, connectionId: 17 };
const TCP_VIA = 'SIP/2.0/TCP 192.0.2.20:40111;branch=z9hG4bK-tcp-1;rport';
/** This node (1) at 10.0.0.1:5060; node 2 at 10.0.0.2:5060. */
const NODES: FlowNode[] = [
  { id: 1, address: { host: '10.0.0.1', port: 5060 }, transport: 'udp' },
  { id: 2, address: { host: '10.0.0.2', port: 5060 }, transport: 'udp' },
];
const PEER_SRC: MessageSource = { transport: 'udp', address: '10.0.0.2', port: 5060 };

function flowRig(open: Set<number> = new Set([17]), opts: { nodes?: FlowNode[]; pathForUdp?: boolean } = {}): ProxyRig {
  const flow: FlowRouting = {
    settings: new StaticFlowSettings(RING, 1, opts.nodes ?? NODES, opts.pathForUdp ?? false),
    directory: { isOpen: (t: Transport, id: number) => t !== 'udp' && open.has(id) },
  };
  return proxyRig({ backends: GW, flow });
}

const token = (f: Flow, node = 1): string => issueToken(RING, node, f, Date.now());
const TCP17 = token({ transport: 'tcp', connectionId: 17 });

/** A backend's INVITE towards a registered client through its Path (Kamailio lookup + t_relay). */
function backendInvite(routes: string[], method = 'INVITE', extra: string[] = []): string {
  return requestText({
    method,
    uri: 'sip:alice@192.0.2.20:40111;transport=tcp',
    vias: ['SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bK-reg-1'],
    from: '<sip:bob@example.test>;tag=b1',
    to: method === 'INVITE' ? '<sip:alice@example.test>' : '<sip:alice@example.test>;tag=a1',
    callId: 'back-1@gw',
    headers: [...routes.map((r) => `Route: ${r}`), ...extra],
  });
}

const events: Array<[string, unknown]> = [];
const subs = Object.entries(flowChannels).map(([k, ch]) => {
  const f = (m: unknown): void => void events.push([k, m]);
  diagnosticsChannel.subscribe(ch.name, f);
  return [ch.name, f] as const;
});
afterEach(() => {
  events.length = 0;
});
process.on('exit', () => subs.forEach(([n, f]) => diagnosticsChannel.unsubscribe(n, f)));

describe('Path on a client REGISTER (RFC 3327, RFC 5626 §5.1)', () => {
  const register = (extra: string[] = []): string =>
    requestText({ method: 'REGISTER', uri: 'sip:example.test', vias: [TCP_VIA], to: '<sip:alice@example.test>', from: '<sip:alice@example.test>;tag=r1', headers: ['Contact: <sip:alice@192.0.2.20:40111;transport=tcp>;reg-id=1', ...extra] });

  it('pushes a Path naming this node and the client connection, with Supported: path', () => {
    const rig = flowRig();
    rig.deliver(register(['Path: <sip:edge.example.test;lr>']), TCP_CLIENT);
    const d = rig.sender.takeOne();
    const paths = headerValues(d.text, 'Path');
    expect(paths[1]).toBe('<sip:edge.example.test;lr>');
    const m = /^<sip:([A-Za-z0-9_-]+)@10\.0\.0\.1:5060;transport=udp;lr;ob>$/.exec(paths[0]!);
    expect(m).not.toBeNull();
    const check = checkToken(RING, m![1]!);
    expect(check.ok && check.token).toMatchObject({ nodeId: 1, flow: { transport: 'tcp', connectionId: 17 } });
    expect(headerValues(d.text, 'Supported')).toEqual(['path']);
    expect(events).toContainEqual(['pathAdded', { transport: 'udp' }]);
  });

  it('appends path to a Supported header that lacks it, and leaves one that has it alone', () => {
    const rig = flowRig();
    rig.deliver(register(['Supported: outbound, gruu']), TCP_CLIENT);
    expect(headerValues(rig.sender.takeOne().text, 'Supported')).toEqual(['outbound, gruu, path']);
    rig.deliver(register(['k: outbound, Path']), TCP_CLIENT);
    const d = rig.sender.takeOne();
    expect(headerValues(d.text, 'Supported')).toEqual([]);
    expect(d.text).toContain('\r\nk: outbound, Path\r\n');
  });

  it('names sip.advertise when this node has no flow.nodes entry', () => {
    const rig = flowRig(new Set([17]), { nodes: [] });
    rig.deliver(register(), TCP_CLIENT);
    expect(headerValues(rig.sender.takeOne().text, 'Path')[0]).toMatch(new RegExp(`@${LB.host}:${LB.port};transport=udp;lr;ob>$`));
  });

  it('adds none to a REGISTER from a backend, nor to a UDP client unless flow.pathForUdp', () => {
    const rig = flowRig();
    rig.deliver(requestText({ method: 'REGISTER', uri: 'sip:198.51.100.12', vias: ['SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bK-b'], to: '<sip:gw@x>' }), GW_SRC);
    expect(headerValues(rig.sender.takeOne().text, 'Path')).toEqual([]);
    rig.deliver(requestText({ method: 'REGISTER', uri: 'sip:example.test', to: '<sip:carol@example.test>' }), { transport: 'udp', address: '192.0.2.10', port: 5060 });
    expect(headerValues(rig.sender.takeOne().text, 'Path')).toEqual([]);

    const udp = flowRig(new Set(), { pathForUdp: true });
    udp.deliver(requestText({ method: 'REGISTER', uri: 'sip:example.test', to: '<sip:carol@example.test>' }), { transport: 'udp', address: '192.0.2.10', port: 5099 });
    const user = /<sip:([^@]+)@/.exec(headerValues(udp.sender.takeOne().text, 'Path')[0]!)![1]!;
    const c = checkToken(RING, user);
    expect(c.ok && c.token.flow).toEqual({ transport: 'udp', address: '192.0.2.10', port: 5099 });
  });
});

describe('affinity and failover of a client REGISTER (issue 17 item 5)', () => {
  it('a REGISTER that fails over to another registrar carries the Path there too', () => {
    vi.useFakeTimers();
    try {
      const flow: FlowRouting = { settings: new StaticFlowSettings(RING, 1, NODES, false), directory: { isOpen: () => true } };
      const two = [...GW, { id: 'gw2', address: { host: '198.51.100.12', port: 5060 }, weight: 1 }];
      const rig = proxyRig({ backends: two, flow, failover: { methods: new Set(['REGISTER']) } });
      rig.deliver(requestText({ method: 'REGISTER', uri: 'sip:example.test', vias: [TCP_VIA], to: '<sip:alice@example.test>', headers: ['Contact: <sip:alice@192.0.2.20>'] }), TCP_CLIENT);
      expect(rig.sender.takeOne().host).toBe('198.51.100.11');
      vi.advanceTimersByTime(500);
      const again = rig.sender.takeOne();
      expect(again.host).toBe('198.51.100.12');
      expect(headerValues(again.text, 'Path')).toHaveLength(1);
      expect(headerValues(again.text, 'Path')[0]).toMatch(/;transport=udp;lr;ob>$/);
      expect(rig.failovers()).toEqual([{ backend: 'gw1', reason: 'timeout' }]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Record-Route with the token for a client on a stream', () => {
  it('puts the token in both RFC 5658 entries of a TCP client INVITE; a UDP client keeps the plain ones', () => {
    const rig = flowRig();
    rig.deliver(requestText({ vias: [TCP_VIA] }), TCP_CLIENT);
    const rr = headerValues(rig.sender.takeOne().text, 'Record-Route');
    expect(rr).toHaveLength(2);
    const users = rr.map((r) => /^<sip:([^@]+)@198\.51\.100\.1:5060;transport=(udp|tcp);lr;r2=on>$/.exec(r)?.[1]);
    expect(users[0]).toBe(users[1]);
    const c = checkToken(RING, users[0]!);
    expect(c.ok && c.token.flow).toEqual({ transport: 'tcp', connectionId: 17 });

    rig.deliver(requestText({}), { transport: 'udp', address: '192.0.2.10', port: 5060 });
    expect(headerValues(rig.sender.takeOne().text, 'Record-Route')).toEqual([`<sip:${LB.host}:${LB.port};lr>`]);
  });
});

describe('a backend request routed back by its token', () => {
  it('goes out on the client connection with our Route entries removed, and our Record-Route keeps the token', () => {
    const rig = flowRig();
    rig.deliver(backendInvite([`<sip:${TCP17}@10.0.0.1:5060;transport=udp;lr;ob>`]), GW_SRC);
    const d = rig.sender.takeOne();
    expect({ transport: d.transport, connectionId: d.connectionId }).toEqual({ transport: 'tcp', connectionId: 17 });
    expect(headerValues(d.text, 'Route')).toEqual([]);
    expect(headerValues(d.text, 'Via')[0]).toMatch(/^SIP\/2\.0\/TCP /);
    expect(headerValues(d.text, 'Record-Route').every((r) => r.startsWith(`<sip:${TCP17}@`))).toBe(true);
    expect(events).toContainEqual(['delivered', { transport: 'tcp', method: 'INVITE' }]);
  });

  it('removes both entries of a token Record-Route pair on an in-dialog request', () => {
    const rig = flowRig();
    const pair = [`<sip:${TCP17}@${LB.host}:${LB.port};transport=udp;lr;r2=on>`, `<sip:${TCP17}@${LB.host}:${LB.port};transport=tcp;lr;r2=on>`];
    rig.deliver(backendInvite(pair, 'BYE'), GW_SRC);
    const d = rig.sender.takeOne();
    expect([d.transport, d.connectionId]).toEqual(['tcp', 17]);
    expect(headerValues(d.text, 'Route')).toEqual([]);
  });

  it('sends a UDP token to the address it names', () => {
    const rig = flowRig();
    const t = token({ transport: 'udp', address: '192.0.2.30', port: 5077 });
    rig.deliver(backendInvite([`<sip:${t}@10.0.0.1:5060;lr;ob>`]), GW_SRC);
    const d = rig.sender.takeOne();
    expect([d.transport, d.host, d.port]).toEqual(['udp', '192.0.2.30', 5077]);
  });

  it('answers 430 Flow Failed when the connection is gone (RFC 5626 §5.3)', () => {
    const rig = flowRig(new Set());
    rig.deliver(backendInvite([`<sip:${TCP17}@10.0.0.1:5060;transport=udp;lr;ob>`]), GW_SRC);
    const r = asResponse(rig.sender.takeOne());
    expect(r.status).toBe(430);
    expect(rig.sender.sent).toHaveLength(0);
    expect(events).toContainEqual(['failed', { reason: 'connection-gone', method: 'INVITE' }]);
  });

  it('answers 403 to a tampered token and forwards nothing', () => {
    const rig = flowRig();
    const i = 10;
    const bad = TCP17.slice(0, i) + (TCP17[i] === 'A' ? 'B' : 'A') + TCP17.slice(i + 1);
    rig.deliver(backendInvite([`<sip:${bad}@10.0.0.1:5060;transport=udp;lr;ob>`]), GW_SRC);
    const d = rig.sender.takeOne();
    const r = asResponse(d);
    expect(r.status).toBe(403);
    expect(d.text).toMatch(/Warning: 399 siplb "flow token rejected: (bad-tag|malformed)"/);
    expect([d.host, d.port]).toEqual(['198.51.100.11', 5060]);
    expect(events.filter(([k]) => k === 'tokenRejected')).toHaveLength(1);
  });

  it('drops an ACK with a bad token or a gone flow without an answer, and counts it', () => {
    const rig = flowRig(new Set());
    rig.deliver(backendInvite([`<sip:${TCP17}x@10.0.0.1:5060;lr>`], 'ACK'), GW_SRC);
    rig.deliver(backendInvite([`<sip:${TCP17}@10.0.0.1:5060;lr>`], 'ACK'), GW_SRC);
    expect(rig.sender.sent).toHaveLength(0);
    expect(events).toEqual([
      ['tokenRejected', { reason: 'malformed', method: 'ACK' }],
      ['failed', { reason: 'connection-gone', method: 'ACK' }],
    ]);
  });

  it('relays another node\'s token to that node once, Route in place and no Record-Route of its own', () => {
    const rig = flowRig();
    const t2 = token({ transport: 'tcp', connectionId: 99 }, 2);
    const route = `<sip:${t2}@${LB.host}:${LB.port};transport=udp;lr;r2=on>`;
    rig.deliver(backendInvite([route]), GW_SRC);
    const d = rig.sender.takeOne();
    expect([d.transport, d.host, d.port]).toEqual(['udp', '10.0.0.2', 5060]);
    expect(headerValues(d.text, 'Route')).toEqual([route]);
    expect(headerValues(d.text, 'Record-Route')).toEqual([]);
    expect(events).toContainEqual(['relayed', { node: 2, method: 'INVITE' }]);
  });

  it('answers 430 to a peer relaying a token that is not ours, and to a token of an unknown node', () => {
    const rig = flowRig();
    const t2 = token({ transport: 'tcp', connectionId: 99 }, 2);
    rig.deliver(backendInvite([`<sip:${t2}@10.0.0.1:5060;lr>`]), PEER_SRC);
    expect(asResponse(rig.sender.takeOne()).status).toBe(430);
    const t9 = token({ transport: 'tcp', connectionId: 99 }, 9);
    rig.deliver(backendInvite([`<sip:${t9}@10.0.0.1:5060;lr>`]), GW_SRC);
    expect(asResponse(rig.sender.takeOne()).status).toBe(430);
    expect(events.filter(([k]) => k === 'failed').map(([, m]) => (m as { reason: string }).reason)).toEqual(['relayed-foreign', 'unknown-node']);
  });

  it('lets a peer through abuse protection, as a backend: a relay is not a new request from outside', () => {
    const rig = flowRig();
    rig.ctx.security = new SecurityPolicy({
      trustedSources: ['203.0.113.0/24'],
      untrusted: 'reject',
      rateLimit: { enabled: false, perSecond: 1, burst: 2, blockFor: 60_000 },
      scanners: { enabled: true, userAgents: DEFAULT_SCANNER_USER_AGENTS },
      maxSources: 100,
      topOffenders: 10,
    });
    rig.deliver(backendInvite([`<sip:${TCP17}@10.0.0.2:5060;transport=udp;lr;ob>`]), PEER_SRC);
    expect(rig.sender.takeOne().connectionId).toBe(17);
  });

  it('delivers our token relayed by a peer, which named its own address in the Route', () => {
    const rig = flowRig();
    rig.deliver(backendInvite([`<sip:${TCP17}@10.0.0.2:5060;transport=udp;lr;ob>`]), PEER_SRC);
    const d = rig.sender.takeOne();
    expect([d.transport, d.connectionId]).toEqual(['tcp', 17]);
    expect(headerValues(d.text, 'Route')).toEqual([]);
  });
});

describe('a client sending a token Route', () => {
  it('gets no delivery to any client: our entry is popped, then a backend or a relay refusal', () => {
    const rig = flowRig();
    const other: MessageSource = { transport: 'tcp', address: '192.0.2.66', port: 41000, connectionId: 23 };
    const send = (uri: string): void =>
      rig.deliver(requestText({ vias: ['SIP/2.0/TCP 192.0.2.66:41000;branch=z9hG4bK-evil'], uri, headers: [`Route: <sip:${TCP17}@${LB.host}:${LB.port};lr>`] }), other);
    send(`sip:bob@${LB.host}`);
    const d = rig.sender.takeOne();
    expect([d.host, d.port, d.connectionId]).toEqual(['198.51.100.11', 5060, undefined]);
    expect(headerValues(d.text, 'Route')).toEqual([]);
    send('sip:alice@192.0.2.20:40111;transport=tcp');
    const r = rig.sender.takeOne();
    expect(asResponse(r).status).toBe(403);
    expect(r.connectionId).toBe(23);
    expect(events.filter(([k]) => k === 'delivered')).toEqual([]);
  });

  it('is refused as a relay when the Route names another node', () => {
    const rig = flowRig();
    const t2 = token({ transport: 'tcp', connectionId: 99 }, 2);
    rig.deliver(requestText({ method: 'BYE', to: '<sip:bob@lb.test>;tag=x', vias: [TCP_VIA], headers: [`Route: <sip:${t2}@10.0.0.2:5060;lr>`] }), TCP_CLIENT);
    expect(asResponse(rig.sender.takeOne()).status).toBe(403);
  });
});

describe('a browser host without a token', () => {
  it('answers 404 to a backend request for a *.invalid host instead of resolving it', () => {
    const rig = flowRig();
    rig.deliver(requestText({ uri: 'sip:alice@df7jal23ls0d.invalid;transport=ws', vias: ['SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bK-x'] }), GW_SRC);
    const r = asResponse(rig.sender.takeOne());
    expect(r.status).toBe(404);
  });
});
