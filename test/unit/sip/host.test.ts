import { describe, expect, it } from 'vitest';
import { isDottedQuad, isNumericDomain } from '../../../src/sip/host.js';
import { parseSip } from '../../../src/sip/index.js';

describe('numeric domains (GB/T 28181)', () => {
  it.each(['3402000000', '44010200492000000001', '127.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '3402000000.'])('%s is a numeric domain, never an address', (h) => {
    expect(isNumericDomain(h)).toBe(true);
  });
  it.each(['127.0.0.1', '10.0.0.255', '0.0.0.0'])('%s is a dotted-quad IPv4 literal', (h) => {
    expect(isDottedQuad(h)).toBe(true);
    expect(isNumericDomain(h)).toBe(false);
  });
  it.each(['example.com', 'gb28181-platform', '3402000000a', '::1', ''])('%s is not a numeric domain', (h) => {
    expect(isNumericDomain(h)).toBe(false);
  });

  it('a device REGISTER with the standard numeric domain in Request-URI, From and To parses', () => {
    const r = parseSip(
      Buffer.from(
        'REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273\r\n' +
          'From: <sip:34020000001320000001@3402000000>;tag=2043466181\r\nTo: <sip:34020000001320000001@3402000000>\r\nCall-ID: 1011047669\r\n' +
          'CSeq: 1 REGISTER\r\nContact: <sip:34020000001320000001@192.168.1.64:5060>\r\nMax-Forwards: 70\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n',
        'latin1',
      ),
    );
    expect(r.ok).toBe(true);
    if (!r.ok || r.msg.kind !== 'request') return;
    expect(r.msg.requestUri()).toMatchObject({ user: '34020000002000000001', host: '3402000000' });
    expect(r.msg.to().uri).toMatchObject({ user: '34020000001320000001', host: '3402000000' });
  });
});
