/**
 * Edges of proxy/self.ts and proxy/branch.ts: every (inbound, outbound, secure) combination has
 * its own Record-Route (RFC 5658 pairs, §26.2.2 sips for TLS and WSS entries, RFC 7118 §5.3
 * `transport=ws` for WSS too); a `sips:` URI without a port names port 5061 (§19.1.2); the
 * branch differs for every transaction (§8.1.1.7: unique across space and time) and hashes the
 * Route set only (a CANCEL with the INVITE's Route set gets the INVITE's branch, §9.1).
 */
import { describe, expect, it } from 'vitest';
import { computeBranch } from '../../../src/proxy/branch.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { parseSipUri } from '../../../src/sip/index.js';
import type { SipUri } from '../../../src/sip/message.js';
import { request } from '../../helpers/core/sip-text.js';

const uri = (text: string): SipUri => {
  const b = Buffer.from(text, 'latin1');
  const u = parseSipUri(b, 0, b.length);
  if (u === undefined) throw new Error(`bad uri ${text}`);
  return u;
};

const all = (): SelfAddress =>
  new SelfAddress({ host: '192.0.2.10', port: 5060 }, [
    { transport: 'udp', host: '10.0.0.1', port: 5060 },
    { transport: 'tcp', host: '10.0.0.1', port: 5060 },
    { transport: 'tls', host: '10.0.0.1', port: 5061 },
    { transport: 'ws', host: '10.0.0.1', port: 8080 },
    { transport: 'wss', host: '10.0.0.1', port: 8443 },
  ]);

describe('Record-Route per leg pair', () => {
  it('each combination gets its own lines, cached or not', () => {
    const self = all();
    const first = [self.recordRoute('udp', 'udp', false), self.recordRoute('tcp', 'udp', false), self.recordRoute('tls', 'udp', true), self.recordRoute('tls', 'udp', false)];
    expect(first).toEqual([
      'Record-Route: <sip:192.0.2.10:5060;lr>\r\n',
      'Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>\r\n',
      'Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sips:192.0.2.10:5061;transport=tls;lr;r2=on>\r\n',
      'Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sip:192.0.2.10:5061;transport=tls;lr;r2=on>\r\n',
    ]);
    // Asked again (from the cache): the same answers.
    expect([self.recordRoute('udp', 'udp', false), self.recordRoute('tcp', 'udp', false), self.recordRoute('tls', 'udp', true), self.recordRoute('tls', 'udp', false)]).toEqual(first);
  });

  it('a WSS entry is sips when secure and names transport=ws (RFC 7118 §5.3)', () => {
    const self = all();
    expect(self.recordRoute('wss', 'wss', true)).toBe('Record-Route: <sips:192.0.2.10:8443;transport=ws;lr>\r\n');
    expect(self.recordRoute('wss', 'udp', false)).toBe('Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sip:192.0.2.10:8443;transport=ws;lr;r2=on>\r\n');
    expect(self.recordRouteWithToken('ws', 'ws', false, 'TOK')).toBe('Record-Route: <sip:TOK@192.0.2.10:8080;transport=ws;lr>\r\n');
  });
});

describe('a sips: URI without a port', () => {
  it('names port 5061: ours only when we listen there', () => {
    const plain = new SelfAddress({ host: 'lb.example.net', port: 5060 }, { host: '10.0.0.1', port: 5080 });
    expect(plain.isSelfUri(uri('sips:lb.example.net'))).toBe(false);
    expect(plain.isSelfUri(uri('sip:lb.example.net'))).toBe(true);
    expect(all().isSelfUri(uri('sips:192.0.2.10'))).toBe(true);
  });
});

describe('computeBranch', () => {
  it('differs for every one of a thousand transactions from one caller', () => {
    const prev = request().topVia();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(computeBranch(request({ callId: `c${i}@caller.test` }), prev));
    expect(seen.size).toBe(1000);
  });

  it('hashes the Route set, and nothing else of the headers', () => {
    const routes = ['Route: <sip:198.51.100.1;lr>', 'Route: <sip:edge.test;lr>'];
    const inv = request({ headers: routes });
    const prev = inv.topVia();
    expect(computeBranch(request({ method: 'CANCEL', headers: routes, maxForwards: 9 }), prev)).toBe(computeBranch(inv, prev));
    expect(computeBranch(request({ headers: [routes[0]!] }), prev)).not.toBe(computeBranch(inv, prev));
    expect(computeBranch(request({ headers: [...routes, 'X-Other: 1'] }), prev)).toBe(computeBranch(inv, prev));
  });
});

describe('listen hosts with letters', () => {
  it('are ours whatever their case', () => {
    const self = new SelfAddress({ host: '192.0.2.10', port: 5060 }, [{ transport: 'udp', host: 'Node1.Example.NET', port: 5060 }]);
    expect(self.isSelf('node1.example.net', 5060)).toBe(true);
    expect(self.isSelf('NODE1.EXAMPLE.NET', 5060)).toBe(true);
  });
});
