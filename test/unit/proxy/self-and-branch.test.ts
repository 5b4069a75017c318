/**
 * Who "we" are on the wire (proxy/self.ts) and the stateless branch (proxy/branch.ts, RFC 3261
 * §16.11): the inputs that must change a branch, and those that must not.
 */
import { describe, expect, it } from 'vitest';
import { computeBranch } from '../../../src/proxy/branch.js';
import { BRANCH_PREFIX, SelfAddress } from '../../../src/proxy/self.js';
import { parseSipUri } from '../../../src/sip/index.js';
import type { SipUri, Via } from '../../../src/sip/message.js';
import { request } from '../../helpers/core/sip-text.js';

// Built inside each test, not at module load: a mutation tool activates its mutant per test.
const makeSelf = (): SelfAddress => new SelfAddress({ host: 'LB.Example.NET', port: 5060 }, { host: '10.0.0.1', port: 5080 });
const uri = (text: string): SipUri => {
  const b = Buffer.from(text, 'latin1');
  const u = parseSipUri(b, 0, b.length);
  if (u === undefined) throw new Error(`bad uri ${text}`);
  return u;
};
const uriOf = (text: string): SipUri => uri(text);
const via = (host: string, port: number | undefined, branch: string | undefined): Via => request({ vias: [`SIP/2.0/UDP ${host}${port === undefined ? '' : `:${port}`}${branch === undefined ? '' : `;branch=${branch}`}`] }).topVia();

describe('SelfAddress', () => {
  it('knows its advertised and listen addresses, hosts case-insensitively, port 5060 by default', () => {
    const self = makeSelf();
    expect(self.isSelf('lb.example.net', 5060)).toBe(true);
    expect(self.isSelf('LB.EXAMPLE.NET', undefined)).toBe(true);
    expect(self.isSelf('10.0.0.1', 5080)).toBe(true);
    expect(self.isSelf('lb.example.net', 5061)).toBe(false);
    expect(self.isSelf('other.example.net', 5060)).toBe(false);
  });

  it('counts sip and sips URIs naming it, never another scheme or a missing URI', () => {
    const self = makeSelf();
    expect(self.isSelfUri(uri('sip:lb.example.net'))).toBe(true);
    expect(self.isSelfUri(uri('sips:bob@LB.example.net:5060'))).toBe(true);
    expect(self.isSelfUri(uri('sip:lb.example.net:5070'))).toBe(false);
    expect(self.isSelfUri({ ...uri('sip:lb.example.net'), scheme: 'tel' })).toBe(false);
    expect(self.isSelfUri(undefined)).toBe(false);
  });

  it('recognises its own Via by our sent-by AND our branch prefix', () => {
    const self = makeSelf();
    expect(self.isOurVia(via('lb.example.net', 5060, `${BRANCH_PREFIX}00`))).toBe(true);
    expect(self.isOurVia(via('lb.example.net', 5060, 'z9hG4bK-someone-else'))).toBe(false);
    expect(self.isOurVia(via('lb.example.net', 5060, undefined))).toBe(false);
    expect(self.isOurVia(via('192.0.2.10', 5060, `${BRANCH_PREFIX}00`))).toBe(false);
  });

  it('writes the advertised address into our Via and Record-Route', () => {
    const self = makeSelf();
    expect(self.viaPrefix('udp')).toBe('Via: SIP/2.0/UDP LB.Example.NET:5060;branch=');
    expect(self.recordRoute('udp', 'udp', false)).toBe('Record-Route: <sip:LB.Example.NET:5060;lr>\r\n');
  });

  describe('per transport', () => {
    // UDP and TCP share the primary port (advertised as the VIP's 5060); TLS listens on 5061.
    const multi = (): SelfAddress =>
      new SelfAddress({ host: '192.0.2.10', port: 5060 }, [
        { transport: 'udp', host: '10.0.0.1', port: 5080 },
        { transport: 'tcp', host: '10.0.0.1', port: 5080 },
        { transport: 'tls', host: '10.0.0.1', port: 5061 },
      ]);

    it('names the leg transport in our Via, at the advertised port or the listener own port', () => {
      const self = multi();
      expect(self.viaPrefix('tcp')).toBe('Via: SIP/2.0/TCP 192.0.2.10:5060;branch=');
      expect(self.viaPrefix('tls')).toBe('Via: SIP/2.0/TLS 192.0.2.10:5061;branch=');
      expect(self.isSelf('192.0.2.10', 5061)).toBe(true);
      expect(self.isSelfUri(uriOf('sips:192.0.2.10'))).toBe(true); // sips defaults to 5061
    });

    it('records one route with its transport when both legs use the same stream transport', () => {
      expect(multi().recordRoute('tcp', 'tcp', false)).toBe('Record-Route: <sip:192.0.2.10:5060;transport=tcp;lr>\r\n');
    });

    it('records two routes when the legs differ (RFC 5658), the outgoing leg on top, each with transport= and r2=on', () => {
      expect(multi().recordRoute('tcp', 'udp', false)).toBe(
        'Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>\r\n',
      );
    });

    it('keeps a sips Request-URI secure: the TLS-facing entry is sips', () => {
      expect(multi().recordRoute('tls', 'udp', true)).toBe(
        'Record-Route: <sip:192.0.2.10:5060;transport=udp;lr;r2=on>\r\nRecord-Route: <sips:192.0.2.10:5061;transport=tls;lr;r2=on>\r\n',
      );
    });
  });
});

describe('computeBranch', () => {
  const req = request();
  const prev = via('192.0.2.10', 5060, 'z9hG4bK-a');

  it('is stable for the same input and carries our prefix', () => {
    expect(computeBranch(req, prev)).toBe(computeBranch(request(), via('192.0.2.10', 5060, 'z9hG4bK-a')));
    expect(computeBranch(req, prev)).toMatch(new RegExp(`^${BRANCH_PREFIX}[0-9a-f]{16}$`));
    expect(computeBranch(req, prev, 0)).toBe(computeBranch(req, prev));
  });

  it("changes with the previous hop's branch, host or port, and with a missing branch (RFC 2543 peer)", () => {
    const b = computeBranch(req, prev);
    expect(computeBranch(req, via('192.0.2.10', 5060, 'z9hG4bK-b'))).not.toBe(b);
    expect(computeBranch(req, via('192.0.2.11', 5060, 'z9hG4bK-a'))).not.toBe(b);
    expect(computeBranch(req, via('192.0.2.10', 5062, 'z9hG4bK-a'))).not.toBe(b);
    expect(computeBranch(req, via('192.0.2.10', undefined, undefined))).not.toBe(computeBranch(req, via('192.0.2.10', 5060, undefined)));
  });

  it('changes with the Request-URI, Call-ID, CSeq number and failover attempt', () => {
    const b = computeBranch(req, prev);
    expect(computeBranch(request({ uri: 'sip:carol@lb.test' }), prev)).not.toBe(b);
    expect(computeBranch(request({ callId: 'other' }), prev)).not.toBe(b);
    expect(computeBranch(request({ cseq: 2 }), prev)).not.toBe(b);
    const attempts = [0, 1, 2].map((a) => computeBranch(req, prev, a));
    expect(new Set(attempts).size).toBe(3);
  });

  it('is the same for the CANCEL of an INVITE (same Request-URI, Call-ID, CSeq number, top Via; §9.1)', () => {
    expect(computeBranch(request({ method: 'CANCEL' }), prev)).toBe(computeBranch(req, prev));
  });
});
